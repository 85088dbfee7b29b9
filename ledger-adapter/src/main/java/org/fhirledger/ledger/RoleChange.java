package org.fhirledger.ledger;

import org.fhirledger.bytes.Bytes32;

/** A role granted or revoked on chain (from the AccessRegistry events). */
public record RoleChange(String account, Role role, Bytes32 identity, boolean granted, long blockNumber) {}
