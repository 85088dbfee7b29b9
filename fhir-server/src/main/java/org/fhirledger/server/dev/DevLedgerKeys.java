package org.fhirledger.server.dev;

import java.math.BigInteger;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.ledger.Role;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * Dev mode's ledger keys: one stable secp256k1 key per (role, fhirUser), derived with HMAC-SHA256 from the dev
 * issuer's secret, so the same dev user always has the same ledger address for this data directory and
 * different data directories never share addresses.
 */
public final class DevLedgerKeys {

    private DevLedgerKeys() {}

    public static Credentials credentials(byte[] secret, Role role, String fhirUser) {
        BigInteger n = Sign.CURVE_PARAMS.getN();
        Pseudonymizer prf = Pseudonymizer.fromSecret(secret); // the project's keyed HMAC-SHA256
        String label = "fhir-ledger dev ledger key v1|" + role.name() + "|" + (fhirUser == null ? "" : fhirUser);
        // An HMAC output outside [1, n-1] has probability ~2^-128; re-derive rather than bias the key.
        for (int counter = 0; ; counter++) {
            BigInteger d = new BigInteger(1, prf.pseudonym(label + "|" + counter));
            if (d.signum() > 0 && d.compareTo(n) < 0) {
                return Credentials.create(ECKeyPair.create(d));
            }
        }
    }

    /** The EIP-55 checksummed address of that key. */
    public static String address(byte[] secret, Role role, String fhirUser) {
        return Keys.toChecksumAddress(credentials(secret, role, fhirUser).getAddress());
    }
}
