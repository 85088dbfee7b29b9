package org.fhirledger.anchor;

import java.util.Objects;
import org.fhirledger.bytes.Bytes32;

/** An {@code AccessAppended} event: one access (allowed or denied) on the access ledger, by its AuditEvent's hash. */
public record AccessAppended(
        ChainPosition position,
        long seq,
        Bytes32 patient,
        Bytes32 resource,
        String actor,
        int action,
        int outcome,
        long time,
        Bytes32 auditHash)
        implements LedgerEvent {

    public AccessAppended {
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(auditHash, "auditHash");
        actor = LedgerLeaf.address(actor);
        if (action < 0 || action > 255 || outcome < 0 || outcome > 255) {
            throw new IllegalArgumentException("action and outcome are uint8");
        }
    }

    @Override
    public Lane lane() {
        return Lane.ACCESS;
    }

    @Override
    public byte[] leafBytes() {
        return LedgerLeaf.access(seq, patient, resource, actor, action, outcome, time, auditHash);
    }
}
