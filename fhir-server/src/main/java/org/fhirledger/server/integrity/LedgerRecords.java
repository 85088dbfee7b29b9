package org.fhirledger.server.integrity;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.AccessLedger;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.server.outbox.LedgerWriter;
import org.fhirledger.server.outbox.OutboxRow;

/**
 * What the ledger holds for a version, as the read check needs it: the content hash recorded for (resource
 * pseudonym, version), or whether an audit hash is on the access ledger. A recorded entry never changes, so answers
 * are cached (LRU); the writer of this replica fills the cache as it confirms entries. Chain lookups wait at most
 * {@code integrity.lookup-timeout}; after a failure the chain is skipped for {@code integrity.chain-pause}, so an
 * outage costs reads nothing.
 */
public class LedgerRecords implements LedgerWriter.ConfirmationListener, AutoCloseable {

    /** The answer of a lookup: known on chain, known absent, or the chain did not answer. */
    public sealed interface Lookup {
        record Found(Bytes32 contentHash) implements Lookup {}

        record Absent() implements Lookup {}

        record Unreachable() implements Lookup {}
    }

    private final RecordLedger records;
    private final AccessLedger accesses;
    private final IntegrityProperties settings;
    private final Map<String, Bytes32> cache;
    private final ExecutorService lookups;
    private volatile long chainSkippedUntil;

    public LedgerRecords(RecordLedger records, AccessLedger accesses, IntegrityProperties settings) {
        this.records = records;
        this.accesses = accesses;
        this.settings = settings;
        int max = settings.cacheSize();
        this.cache = java.util.Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bytes32> eldest) {
                return size() > max;
            }
        });
        AtomicInteger n = new AtomicInteger();
        this.lookups = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "integrity-lookup-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    static String key(String type, String id, long version) {
        return type + "/" + id + "/" + version;
    }

    @Override
    public void confirmed(OutboxRow row, LedgerReceipt receipt) {
        cache.put(key(row.resourceType(), row.resourceId(), row.version()), row.contentHash());
    }

    /** The content hash on the record ledger for (resource, version). */
    public Lookup recordHash(String type, String id, long version, Bytes32 resource) {
        String key = key(type, id, version);
        Bytes32 cached = cache.get(key);
        if (cached != null) return new Lookup.Found(cached);
        Optional<Optional<Bytes32>> answer = ask(() -> records.contentHashOf(resource, version));
        if (answer.isEmpty()) return new Lookup.Unreachable();
        answer.get().ifPresent(h -> cache.put(key, h));
        return answer.get().<Lookup>map(Lookup.Found::new).orElseGet(Lookup.Absent::new);
    }

    /** Whether the audit hash of this AuditEvent version is on the access ledger. */
    public Lookup auditHash(String type, String id, long version, Bytes32 auditHash) {
        String key = key(type, id, version);
        Bytes32 cached = cache.get(key);
        if (cached != null) return new Lookup.Found(cached);
        Optional<Optional<Long>> answer = ask(() -> accesses.accessSeqOf(auditHash));
        if (answer.isEmpty()) return new Lookup.Unreachable();
        if (answer.get().isEmpty()) return new Lookup.Absent();
        cache.put(key, auditHash);
        return new Lookup.Found(auditHash);
    }

    private <T> Optional<T> ask(Supplier<T> call) {
        if (System.currentTimeMillis() < chainSkippedUntil) return Optional.empty();
        Future<T> f = lookups.submit(call::get);
        try {
            return Optional.of(f.get(settings.lookupTimeout().toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return Optional.empty();
        } catch (Exception e) {
            f.cancel(true);
            chainSkippedUntil =
                    System.currentTimeMillis() + settings.chainPause().toMillis();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        lookups.shutdownNow();
    }
}
