package org.fhirledger.server.audit;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.model.DaoMethodOutcome;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.fhirledger.server.outbox.WriterLock;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.IdType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Turns audit records into their BALP AuditEvents, a batch per transaction, on one replica per database (the job
 * lock, {@link WriterLock#forJob}). In that transaction each AuditEvent is stored under the id derived from its
 * record ({@link AuditRecord#eventIdOf}); the write pipeline's storage hook adds its access-ledger outbox row; then
 * the records are marked done. A crash anywhere before the commit leaves none of it, so the records are taken again
 * after restart; after the commit they are done: each record has one AuditEvent and one ledger entry. Should two
 * materialisers ever meet, the second finds the records marked (or the ids taken) and rolls back.
 *
 * <p>Read-your-audits: {@link #catchUp} brings every record committed before it into AuditEvents (doing the work
 * itself on the materialising replica, else waiting for it), so an auditor never misses an access that was answered.
 */
public final class AuditMaterialiser implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(AuditMaterialiser.class);

    private final AuditRecords records;
    private final AuditTrail trail;
    private final DaoRegistry daos;
    private final TransactionTemplate tx;
    private final WriterLock lock;
    private final AuditProperties settings;
    private final ReentrantLock batchLock = new ReentrantLock();
    private final Object signal = new Object();
    private volatile boolean wakeRequested;
    private volatile boolean running;
    private volatile boolean paused;
    private volatile Thread thread;
    private volatile Consumer<List<Long>> afterStoring = ids -> {};

    public AuditMaterialiser(
            AuditRecords records,
            AuditTrail trail,
            DaoRegistry daos,
            PlatformTransactionManager transactions,
            WriterLock lock,
            AuditProperties settings) {
        this.records = records;
        this.trail = trail;
        this.daos = daos;
        this.tx = new TransactionTemplate(transactions);
        this.lock = lock;
        this.settings = settings;
    }

    /** Records were committed: look now rather than at the next poll. */
    public void wake() {
        wakeRequested = true;
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /**
     * Returns once every record committed before the call is materialised: at once when none waits. Throws
     * {@link AuditUnavailableException} when that takes longer than {@code audit.read-wait}.
     */
    public void catchUp() {
        Long target = records.newestPending();
        if (target == null) return;
        long deadline = System.nanoTime() + settings.readWait().toNanos();
        while (true) {
            // a stopped materialiser does not take the lock again (a restarted one on this database needs it)
            if (running && lock.tryAcquire()) {
                try {
                    while (System.nanoTime() < deadline && materialise(target) > 0) {
                        // until none up to the target is left, or the wait is over
                    }
                } catch (RuntimeException e) {
                    log.warn(
                            "audit materialiser: a batch failed ({})",
                            e.getClass().getName());
                }
            } else {
                wake();
            }
            if (!records.anyPendingUpTo(target)) return;
            if (System.nanoTime() > deadline) {
                throw new AuditUnavailableException(
                        "The audit trail is catching up: retry in a moment (an answer now could miss an access)");
            }
            await(20);
        }
    }

    /**
     * One batch of records up to {@code upTo} into AuditEvents, in one transaction. Returns how many; throws if the
     * batch rolled back.
     */
    int materialise(long upTo) {
        batchLock.lock();
        try {
            List<AuditRecord> batch = records.pending(settings.batchSize(), upTo);
            if (batch.isEmpty()) return 0;
            List<Long> ids = batch.stream().map(AuditRecord::id).toList();
            // built before the transaction: whether a target exists is a read that, failing, would doom it
            List<AuditEvent> events = new ArrayList<>(batch.size());
            for (AuditRecord r : batch) {
                AuditEvent ae = trail.build(r);
                ae.setId(new IdType("AuditEvent", AuditRecord.eventIdOf(r.id())));
                events.add(ae);
            }
            Integer done = tx.execute(status -> {
                IFhirResourceDao<AuditEvent> dao = daos.getResourceDao(AuditEvent.class);
                for (AuditEvent ae : events) {
                    DaoMethodOutcome outcome = dao.update(ae, new SystemRequestDetails());
                    if (!Boolean.TRUE.equals(outcome.getCreated())) {
                        throw new IllegalStateException(ae.getIdElement().getIdPart() + " was stored already");
                    }
                }
                afterStoring.accept(ids);
                int marked = records.markDone(ids);
                if (marked != ids.size()) {
                    throw new IllegalStateException("audit records materialised by another materialiser");
                }
                return marked;
            });
            return done == null ? 0 : done;
        } finally {
            batchLock.unlock();
        }
    }

    private void loop() {
        while (running) {
            try {
                if (paused || !lock.tryAcquire()) {
                    await(
                            paused
                                    ? settings.pollInterval().toMillis()
                                    : settings.lockRetry().toMillis());
                    continue;
                }
                wakeRequested = false;
                if (materialise(Long.MAX_VALUE) == settings.batchSize()) continue;
                if (!wakeRequested) await(settings.pollInterval().toMillis());
            } catch (RuntimeException e) {
                // by class only: a message could quote a record's values
                log.warn(
                        "audit materialiser: a batch failed, retrying ({})",
                        e.getClass().getName());
                await(settings.lockRetry().toMillis());
            }
        }
    }

    private void await(long millis) {
        synchronized (signal) {
            if (wakeRequested && !paused) return;
            try {
                signal.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    // ---- tests: a crash between storing the AuditEvents and marking their records, a materialiser held back

    /** Runs inside each batch's transaction after its AuditEvents are stored, before its records are marked. */
    void afterStoringBeforeMarking(Consumer<List<Long>> hook) {
        this.afterStoring = hook == null ? ids -> {} : hook;
    }

    /** Holds the background loop back (read-your-audits still materialises). */
    void pause(boolean pause) {
        this.paused = pause;
        wake();
    }

    @Override
    public synchronized void start() {
        if (running) return;
        running = true;
        Thread t = new Thread(this::loop, "audit-materialiser");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            wake(); // not an interrupt: it could land in the middle of a database write
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        thread = null;
        lock.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
