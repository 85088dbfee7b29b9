package org.fhirledger.server.authz;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.server.ledger.ChainDurability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * Puts the server's role changes back on the chain after the chain lost blocks: {@link RoleAdminProvider} writes
 * straight to AccessRegistry, so an assignment or revocation mined above the embedded chain's last snapshot is gone
 * after a crash of the node, and a lost revocation would silently give a role back. Told of lost blocks (and by the
 * operator's acceptance of a rewritten chain), this takes the last change per account and role from
 * {@link RoleChanges}, oldest first (a revocation that freed an identity goes before the assignment that bound it
 * elsewhere), and sends only those the chain does not show. Roles the server never changed (the deployment's,
 * bin/dev-token's) are left as they are. A change made while this runs makes it run again; failures (chain down)
 * are retried.
 */
public final class RoleResync
        implements ChainDurability.LostBlocksListener, ApplicationListener<ApplicationReadyEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoleResync.class);
    private static final long RETRY_SECONDS = 5;

    private final ObjectProvider<RoleChanges> changes;
    private final ObjectProvider<DirectoryLedger> ledger;
    private final ObjectProvider<ChainAuthority> chain;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "role-resync");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger runs = new AtomicInteger();
    private volatile int lastSent;
    private volatile boolean ready;
    private volatile boolean pending;

    public RoleResync(
            ObjectProvider<RoleChanges> changes,
            ObjectProvider<DirectoryLedger> ledger,
            ObjectProvider<ChainAuthority> chain) {
        this.changes = changes;
        this.ledger = ledger;
        this.chain = chain;
    }

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

    /** How many changes the last completed resync sent. */
    public int lastSent() {
        return lastSent;
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
            RoleChanges db = changes.getObject();
            long started;
            int sent = 0;
            do {
                started = db.latest();
                sent += resync(db.lastWords());
            } while (db.latest() != started);
            lastSent = sent;
            runs.incrementAndGet();
            if (sent > 0) log.warn("roles: the chain lost {} role changes; sent again from the database", sent);
            else log.info("roles: the chain holds every role change the database has");
        } catch (RuntimeException e) {
            log.warn(
                    "roles: resync after lost blocks failed ({}); retrying in {} s",
                    e.getClass().getSimpleName(),
                    RETRY_SECONDS);
            pending = true;
            schedule(RETRY_SECONDS);
        }
    }

    private int resync(List<RoleChanges.Change> lastWords) {
        DirectoryLedger l = ledger.getObject();
        int sent = 0;
        for (RoleChanges.Change c : lastWords) {
            if (l.hasRole(c.account(), c.role()) == c.assigned()) continue;
            try {
                if (c.assigned()) l.assignRole(c.account(), c.role(), c.identity());
                else l.revokeRole(c.account(), c.role());
                sent++;
            } catch (ContractRevertException e) {
                // e.g. the identity is bound elsewhere on this chain, or the last ADMIN: the chain's word stands
                log.error(
                        "roles: could not send {} of {} for {} again: the chain refused ({})",
                        c.assigned() ? "the assignment" : "the revocation",
                        c.role(),
                        c.account(),
                        e.getMessage());
            }
            chain.getObject().forgetAccount(c.account());
        }
        return sent;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
