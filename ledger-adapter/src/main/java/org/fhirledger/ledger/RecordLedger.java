package org.fhirledger.ledger;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.fhirledger.bytes.Bytes32;

/**
 * Record entries (RecordLedger contract): one per resource version, the content hash and CID of what was stored.
 * Appends are batched and complete when their transaction is mined; an entry already on chain (same resource and
 * version recorded by this adapter's account with the same content hash) completes with its existing receipt.
 * Entries are per custodian account: another custodian's entries are not seen.
 */
public interface RecordLedger extends LedgerStatus {

    /**
     * Queues a record entry; completes with its sequence number once mined, or exceptionally.
     *
     * @throws LedgerClosedException when the adapter is closed
     */
    CompletableFuture<LedgerReceipt> appendRecord(RecordEntry entry);

    /** The entry of (resource, version) this adapter's account recorded, if any (entries are per custodian). */
    Optional<RecordInfo> findRecord(Bytes32 resource, long version);

    /** Every version of the resource this adapter's account recorded, in ledger order. */
    List<RecordInfo> recordHistory(Bytes32 resource);

    /**
     * The content hash this adapter's account recorded for (resource, version): one view call, for integrity
     * checks on read. Another custodian's entry for the same key is not seen.
     */
    Optional<Bytes32> contentHashOf(Bytes32 resource, long version);

    /**
     * The custodian accounts (lower-case hex) that recorded entries under this patient pseudonym, whoever they are:
     * the one query that reads other custodians' entries (the record locator: which members hold records for a
     * patient, never what they are).
     */
    Set<String> custodiansOfPatient(Bytes32 patient);

    /**
     * The entries another custodian (or this one) recorded under this patient pseudonym, in ledger order: what a
     * member checks the versions it receives from that custodian against (retrieval between members).
     */
    List<RecordInfo> recordsOfPatient(String custodian, Bytes32 patient);
}
