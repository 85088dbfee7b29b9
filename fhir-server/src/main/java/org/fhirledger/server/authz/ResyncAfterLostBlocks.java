package org.fhirledger.server.authz;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.server.ledger.ChainDurability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * When to put back on the chain what the server wrote past the outbox (consents, roles): on every report of lost
 * blocks, but not before the application is ready (the report can come at start-up, before the FHIR storage is),
 * on a thread of its own, reports during a run coalesced into one more run, failures (chain down) retried. The
 * subclass says what one run sends.
 */
abstract class ResyncAfterLostBlocks
        implements ChainDurability.LostBlocksListener, ApplicationListener<ApplicationReadyEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResyncAfterLostBlocks.class);
    private static final long RETRY_SECONDS = 5;

    private final String what;
    private final ScheduledExecutorService worker;
    private final AtomicInteger runs = new AtomicInteger();
    private volatile boolean ready;
    private volatile boolean pending;

    /** @param what the plural the log names ("consents", "roles"); also names the worker thread */
    ResyncAfterLostBlocks(String what) {
        this.what = what;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, what + "-resync");
            t.setDaemon(true);
            return t;
        });
    }

    /** One run: sends what the chain lost and returns how many calls it sent; throws to be retried. */
    protected abstract int resyncOnce();

    /** Told at start-up too, before the application is ready: the work then waits for it. */
    @Override
    public void blocksLostAbove(long durableBlock) {
        pending = true;
        if (ready) schedule(0);
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        ready = true;
        if (pending) schedule(0);
    }

    /** How many resyncs completed (for tests and the log). */
    public int completedRuns() {
        return runs.get();
    }

    private void schedule(long delaySeconds) {
        try {
            worker.schedule(this::runPending, delaySeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void runPending() {
        if (!pending) return;
        pending = false;
        try {
            int sent = resyncOnce();
            runs.incrementAndGet();
            if (sent > 0) log.warn("{}: the chain lost {} changes; sent again from the database", what, sent);
            else log.info("{}: the chain holds every change the database has", what);
        } catch (RuntimeException e) {
            log.warn(
                    "{}: resync after lost blocks failed ({}); retrying in {} s",
                    what,
                    e.getClass().getSimpleName(),
                    RETRY_SECONDS);
            pending = true;
            schedule(RETRY_SECONDS);
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
