package org.fhirledger.ledger;

import java.math.BigInteger;
import org.fhirledger.bytes.Bytes32;

/** A consent granted/replaced or revoked on chain; for a revocation actions, types and expiry are 0. */
public record ConsentChange(
        Bytes32 patient,
        String grantee,
        boolean granted,
        int actions,
        BigInteger resourceTypes,
        long expiry,
        long blockNumber) {}
