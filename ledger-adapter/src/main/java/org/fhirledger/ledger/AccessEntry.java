package org.fhirledger.ledger;

import java.util.Objects;
import org.fhirledger.bytes.Bytes32;

/**
 * One access (allowed or denied) for the access ledger; {@code auditHash} is the hash of the FHIR AuditEvent.
 * {@code action} is the server's action code (0..255), {@code time} unix seconds; {@code actor} is kept in
 * lower case.
 */
public record AccessEntry(
        String actor, Bytes32 patient, Bytes32 resource, int action, Outcome outcome, long time, Bytes32 auditHash) {

    public enum Outcome {
        ALLOWED,
        DENIED
    }

    public AccessEntry {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(auditHash, "auditHash");
        if (!actor.matches("0x[0-9a-fA-F]{40}")) throw new IllegalArgumentException("actor is not an address");
        if (action < 0 || action > 255) throw new IllegalArgumentException("action out of range: " + action);
        if (time < 0) throw new IllegalArgumentException("negative time");
        if (auditHash.isZero()) throw new IllegalArgumentException("audit hash is zero");
        actor = actor.toLowerCase(java.util.Locale.ROOT); // one canonical form, so equal entries are equal
    }
}
