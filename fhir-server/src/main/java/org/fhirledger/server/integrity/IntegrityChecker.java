package org.fhirledger.server.integrity;

import java.util.Optional;
import java.util.function.LongSupplier;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;

/**
 * Checks a served version against its ledger record: the content hash of the served JSON must equal the hash on
 * the record ledger (AuditEvents: must be on the access ledger). A version not on chain yet is checked against the
 * hash its outbox row took at write time and served as pending; once confirmed, the next read checks it against
 * the chain.
 *
 * <p>A row confirmed in a block above the chain's durable block ({@code durableBlock}: the embedded node's last
 * snapshot) whose record the chain does not hold was taken back by a crash of the node, not tampered with: the
 * outbox records it again, and until then the version is served as pending.
 */
public class IntegrityChecker {

    private final LedgerRecords records;
    private final OutboxStore outbox;
    private final Pseudonyms pseudonyms;
    private final LongSupplier durableBlock;

    public IntegrityChecker(
            LedgerRecords records, OutboxStore outbox, Pseudonyms pseudonyms, LongSupplier durableBlock) {
        this.records = records;
        this.outbox = outbox;
        this.pseudonyms = pseudonyms;
        this.durableBlock = durableBlock;
    }

    public Verdict check(String type, String id, long version, byte[] servedJson) {
        Bytes32 served = CanonicalResource.contentHash(servedJson);
        LedgerRecords.Lookup onChain = lookup(type, id, version, served);
        if (onChain instanceof LedgerRecords.Lookup.Found found) {
            return found.contentHash().equals(served) ? Verdict.VERIFIED : Verdict.TAMPERED;
        }
        Optional<OutboxStore.VersionState> row = outbox.versionState(type, id, version);
        if (row.isEmpty()) return Verdict.UNRECORDED;
        if (!row.get().contentHash().equals(served)) return Verdict.TAMPERED;
        if (!row.get().confirmed()) return Verdict.PENDING;
        // The writer may have confirmed the row between the chain lookup above and the row read: only a lookup made
        // after the row was seen confirmed can tell a missing record from one recorded meanwhile.
        if (onChain instanceof LedgerRecords.Lookup.Absent) {
            onChain = lookup(type, id, version, served);
            if (onChain instanceof LedgerRecords.Lookup.Found found) {
                return found.contentHash().equals(served) ? Verdict.VERIFIED : Verdict.TAMPERED;
            }
        }
        Long block = row.get().block();
        if (onChain instanceof LedgerRecords.Lookup.Absent && block != null && block > durableBlock.getAsLong()) {
            return Verdict.PENDING; // confirmed above the durable block: lost with the node's last blocks
        }
        // Confirmed in the outbox: the chain must have it. Absent there means the served body is not what was
        // recorded (for AuditEvents the lookup is by the served hash) or the record is gone.
        return onChain instanceof LedgerRecords.Lookup.Absent ? Verdict.TAMPERED : Verdict.UNVERIFIED;
    }

    private LedgerRecords.Lookup lookup(String type, String id, long version, Bytes32 served) {
        return "AuditEvent".equals(type)
                ? records.auditHash(type, id, version, served)
                : records.recordHash(type, id, version, pseudonyms.of(type, id));
    }
}
