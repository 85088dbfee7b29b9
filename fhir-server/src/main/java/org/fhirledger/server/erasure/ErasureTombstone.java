package org.fhirledger.server.erasure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import org.fhirledger.bytes.Bytes32;

/**
 * What the ledger records as the erasure of a patient: a new version of the Patient whose content is the canonical
 * JSON {@code {"erased":true,"erasedAt":"<instant>","id":"<id>","reasonHash":"0x..","resourceType":"Patient"}}
 * (keys in canonical order, no whitespace). It names no PHI: the reason is only hashed, salted with the patient's
 * pseudonym (a reason may itself carry PHI, and a bare hash of a short text could be guessed).
 */
public final class ErasureTombstone {

    private ErasureTombstone() {}

    public static byte[] json(String resourceType, String id, Instant erasedAt, String reasonHash) {
        // Type and id are FHIR names and ids ([A-Za-z0-9\-.]), the instant ISO-8601, the hash hex: nothing to escape.
        return ("{\"erased\":true,\"erasedAt\":\"" + erasedAt + "\",\"id\":\"" + id + "\",\"reasonHash\":\""
                        + reasonHash + "\",\"resourceType\":\"" + resourceType + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** SHA-256 of {@code fhir-ledger/erasure-reason \0 <patient pseudonym hex> \0 <reason>}. */
    public static Bytes32 reasonHash(Bytes32 patient, String reason) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(("fhir-ledger/erasure-reason\0" + patient.toHex() + "\0").getBytes(StandardCharsets.UTF_8));
            return Bytes32.of(d.digest(reason.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
