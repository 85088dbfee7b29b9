package org.fhirledger.server.outbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.content.ContentStore;

/**
 * Puts the RECORD rows' envelopes into the content store, {@code outbox.content-threads} at a time; the CID follows
 * from the committed bytes, so a repeat gives the same CID. ACCESS rows (and rows without an envelope) pass as they
 * are.
 */
final class ContentUploads implements AutoCloseable {

    /**
     * @param stored  the rows whose envelope is stored (with their CID), in the order given
     * @param failure the last put that failed, or null; the rows it failed for are left out of {@code stored}
     */
    record Result(List<OutboxRow> stored, RuntimeException failure) {}

    private final ContentStore content;
    private final ExecutorService puts;

    ContentUploads(ContentStore content, int threads) {
        this.content = content;
        AtomicInteger n = new AtomicInteger();
        this.puts = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ledger-writer-put-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Waits for every put; interrupted, it answers nothing stored (the rows stay for the next round). */
    Result upload(List<OutboxRow> rows) {
        List<Future<OutboxRow>> futures = new ArrayList<>(rows.size());
        for (OutboxRow row : rows) {
            if (row.kind() == OutboxRow.Kind.ACCESS || row.envelope() == null) {
                futures.add(CompletableFuture.completedFuture(row));
            } else {
                futures.add(puts.submit(() -> row.withCid(content.put(row.envelope()))));
            }
        }
        List<OutboxRow> stored = new ArrayList<>(rows.size());
        RuntimeException failure = null;
        for (Future<OutboxRow> f : futures) {
            try {
                stored.add(f.get());
            } catch (ExecutionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(List.of(), null);
            }
        }
        return new Result(stored, failure);
    }

    @Override
    public void close() {
        puts.shutdownNow();
    }
}
