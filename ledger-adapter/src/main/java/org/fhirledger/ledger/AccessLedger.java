package org.fhirledger.ledger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.fhirledger.bytes.Bytes32;

/**
 * Access entries (AccessLedger contract): who looked at which patient's compartment, keyed by the hash of the
 * AuditEvent. Appends are batched and idempotent (same audit hash completes with the existing receipt).
 */
public interface AccessLedger extends LedgerStatus {

    /**
     * Queues an access entry; completes with its sequence number once mined, or exceptionally.
     *
     * @throws LedgerClosedException when the adapter is closed
     */
    CompletableFuture<LedgerReceipt> appendAccess(AccessEntry entry);

    /** Every access entry about the patient's compartment (who looked), in ledger order. */
    List<AccessInfo> accessesOfPatient(Bytes32 patient);

    /** Sequence number of the access entry with that audit hash, if any. */
    Optional<Long> accessSeqOf(Bytes32 auditHash);
}
