package org.fhirledger.server.outbox;

import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.ledger.AccessEntry;

/**
 * One row of {@code fl_outbox}: a committed resource version waiting for (or holding) its ledger entry.
 *
 * @param id          the outbox id (ascending in commit order within one writer of the row; used in logs)
 * @param kind        {@link Kind#RECORD} (record ledger) or {@link Kind#ACCESS} (an AuditEvent: access ledger)
 * @param resourceType the version's resource type
 * @param resourceId  the version's logical id
 * @param version     the HAPI version id
 * @param resource    pseudonym of {@code Type/id}
 * @param patient     local pseudonym of the compartment's patient, or {@link Bytes32#ZERO}: names the patient's data
 *                    key and erasure entry
 * @param ledgerPatient what the record entry carries on chain as its patient ({@code RecordAppended.patient}): the
 *                    patient's consortium pseudonym when it had a shared identifier at write time, else
 *                    {@code patient} (see {@link LedgerPatients}); fixed once written, so a row sent again after a
 *                    crash carries the same value
 * @param contentHash {@code CanonicalResource.contentHash} of the version (the audit hash for ACCESS)
 * @param envelope    the encrypted version (RECORD, kept once confirmed for the content scrub; null for ACCESS)
 * @param access      the access entry (ACCESS only)
 * @param attempts    how often the row was handed to the ledger: more than 0 means "may be on chain already"
 * @param cid         CID of the envelope in the content store, once put (text in the table)
 */
public record OutboxRow(
        long id,
        Kind kind,
        String resourceType,
        String resourceId,
        long version,
        Bytes32 resource,
        Bytes32 patient,
        Bytes32 ledgerPatient,
        Bytes32 contentHash,
        byte[] envelope,
        AccessEntry access,
        int attempts,
        Cid cid) {

    public enum Kind {
        RECORD,
        ACCESS
    }

    /** The same row with its envelope's CID. */
    OutboxRow withCid(Cid cid) {
        return new OutboxRow(
                id,
                kind,
                resourceType,
                resourceId,
                version,
                resource,
                patient,
                ledgerPatient,
                contentHash,
                envelope,
                access,
                attempts,
                cid);
    }

    /** The row's identity for logs: the outbox id and the resource pseudonym, never the FHIR id. */
    public String logName() {
        return "outbox#" + id + " (" + resource.toHex().substring(0, 18) + "..., v" + version + ")";
    }
}
