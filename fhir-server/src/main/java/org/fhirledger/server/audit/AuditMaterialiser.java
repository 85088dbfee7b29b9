package org.fhirledger.server.audit;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.model.DaoMethodOutcome;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.fhirledger.server.outbox.VersionRecorder;
import org.fhirledger.server.outbox.WriterLock;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.IdType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.orm.jpa.EntityManagerFactoryUtils;
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
 * <p>A record whose AuditEvent cannot be stored must not hold the others back: a batch that fails is tried again
 * record by record, each in its own transaction, and a record that fails alone is marked failed (tries, the error's
 * class, when to try again; {@link AuditRecords#markFailed}), logged in one line without values, shown by the
 * {@code audit} health indicator, and tried again with a doubling back-off. It is kept, never skipped for good.
 *
 * <p>Read-your-audits: {@link #catchUp} brings every record committed before it into AuditEvents (doing the work
 * itself on the materialising replica, else waiting for it), so an auditor never misses an access that was answered;
 * records marked failed are not waited for (the health indicator names them).
 */
public final class AuditMaterialiser implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(AuditMaterialiser.class);
    /** AuditEvents written out together (see {@link #store}); Hibernate's JDBC batches hold 20 rows. */
    private static final int FLUSH_EVERY = 10;

    private final AuditRecords records;
    private final AuditTrail trail;
    private final DaoRegistry daos;
    private final TransactionTemplate tx;
    private final EntityManagerFactory entities;
    private final WriterLock lock;
    private final AuditProperties settings;
    private final ReentrantLock batchLock = new ReentrantLock();
    private final Object signal = new Object();
    private final Object progress = new Object();
    private volatile boolean wakeRequested;
    private volatile boolean urgent;
    private volatile Duration linger;
    private volatile boolean running;
    private volatile boolean paused;
    private volatile Thread thread;
    private volatile Consumer<List<Long>> afterStoring = ids -> {};
    private volatile LongSupplier nanoTime = System::nanoTime;

    public AuditMaterialiser(
            AuditRecords records,
            AuditTrail trail,
            DaoRegistry daos,
            PlatformTransactionManager transactions,
            EntityManagerFactory entities,
            WriterLock lock,
            AuditProperties settings) {
        this.records = records;
        this.trail = trail;
        this.daos = daos;
        this.tx = new TransactionTemplate(transactions);
        this.entities = entities;
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

    /** A pause or a stop: end a linger at once rather than let more commits join the batch. */
    private void wakeNow() {
        urgent = true;
        wake();
    }

    /**
     * Returns once every record committed before the call is materialised (or marked failed): at once when none
     * waits. Throws {@link AuditUnavailableException} when none of them was materialised for {@code audit.read-wait}
     * (a stalled materialiser), or after {@code audit.read-wait-max} in all.
     */
    public void catchUp() {
        Long target = records.newestPending();
        if (target == null) return;
        waitFor(target);
    }

    /** As {@link #catchUp}, for one record: returns at once when it is materialised, failed or not there. */
    public void catchUpTo(long record) {
        if (records.isPending(record)) waitFor(record);
    }

    /** Until every record up to {@code target} is materialised or marked failed, or the wait is over. */
    private void waitFor(long target) {
        ReadWait wait = new ReadWait(settings.readWait(), settings.readWaitMax(), nanoTime);
        boolean batchFailed = false;
        while (true) {
            long awaited = records.pendingUpTo(target);
            if (awaited == 0) return;
            wait.remaining(awaited);
            if (wait.over()) {
                throw new AuditUnavailableException(
                        "The audit trail is catching up: retry in a moment (an answer now could miss an access)");
            }
            // a stopped materialiser does not take the lock again (a restarted one on this database needs it)
            if (running && lock.tryAcquire()) {
                try {
                    // a batch at a time, up to the target only: the wait is looked at between batches
                    if (materialise(target) > 0) continue;
                } catch (RuntimeException e) {
                    // by class only: a message could quote a record's values; once per wait (the database may be
                    // down, and the reader tries again until its wait is over)
                    if (!batchFailed) log.warn("audit materialiser: a batch failed ({})", errorClass(e));
                    batchFailed = true;
                }
            } else {
                wake();
            }
            synchronized (progress) {
                try {
                    // after a failed batch, not at once again: the cause (e.g. the database) needs a moment
                    progress.wait(
                            batchFailed ? Math.max(20, settings.lockRetry().toMillis()) : 20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AuditUnavailableException("Interrupted while the audit trail was catching up");
                }
            }
        }
    }

    /**
     * One batch of records up to {@code upTo} (none marked failed) into AuditEvents, in one transaction; should that
     * fail, each record of the batch in a transaction of its own, marking those that fail alone. Returns how many
     * records were taken (each is now done or marked failed); throws only if a failure could not be marked.
     */
    int materialise(long upTo) {
        batchLock.lock();
        try {
            List<AuditRecord> batch = records.pending(settings.batchSize(), upTo);
            if (batch.isEmpty()) return 0;
            try {
                store(batch);
            } catch (RuntimeException batchFailed) {
                // one record's failure rolled the others back with it: each alone, so only that one waits
                if (batch.size() == 1) failed(batch.get(0), batchFailed);
                else for (AuditRecord r : batch) storeAlone(r);
            }
            return batch.size();
        } finally {
            batchLock.unlock();
            progressed();
        }
    }

    /** Records marked failed whose next try is due, each in a transaction of its own. Returns how many were tried. */
    int retryDue() {
        batchLock.lock();
        try {
            List<AuditRecord> due = records.due(settings.batchSize(), System.currentTimeMillis());
            for (AuditRecord r : due) {
                if (storeAlone(r)) log.info("audit materialiser: audit record {} materialised on a later try", r.id());
            }
            return due.size();
        } finally {
            batchLock.unlock();
            progressed();
        }
    }

    private boolean storeAlone(AuditRecord r) {
        try {
            trail.forgetTargetsOf(r);
            store(List.of(r));
            return true;
        } catch (RuntimeException e) {
            failed(r, e);
            return false;
        }
    }

    /** One line, without values (the record's number is not one), and the record marked for a later try. */
    private void failed(AuditRecord r, RuntimeException e) {
        long now = System.currentTimeMillis();
        String error = errorClass(e);
        int attempts = records.markFailed(
                r.id(), error, n -> now + settings.backoffAfter(n).toMillis());
        if (attempts > 0) {
            log.warn(
                    "audit materialiser: audit record {} could not be stored as its AuditEvent (try {}, next in {}): {}",
                    r.id(),
                    attempts,
                    settings.backoffAfter(attempts),
                    error);
        }
    }

    /** The exception's class and, if another, its root cause's: never a message (it could quote values). */
    static String errorClass(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root == e
                ? e.getClass().getName()
                : e.getClass().getName() + " caused by " + root.getClass().getName();
    }

    /** The records' AuditEvents and their marks, in one transaction; throws if it rolled back. */
    private void store(List<AuditRecord> batch) {
        List<Long> ids = batch.stream().map(AuditRecord::id).toList();
        // built before the transaction: whether a target exists is a read that, failing, would doom it
        List<AuditTrail.Built> events = new ArrayList<>(batch.size());
        for (AuditRecord r : batch) {
            AuditTrail.Built built = trail.build(r);
            built.event().setId(new IdType("AuditEvent", AuditRecord.eventIdOf(r.id())));
            events.add(built);
        }
        tx.executeWithoutResult(status -> {
            IFhirResourceDao<AuditEvent> dao = daos.getResourceDao(AuditEvent.class);
            EntityManager session = EntityManagerFactoryUtils.getTransactionalEntityManager(entities);
            int unflushed = 0;
            for (AuditTrail.Built built : events) {
                AuditEvent ae = built.event();
                // The id is new by construction (one per record, records taken once): HAPI is told so rather than
                // looking it up. Were it taken after all (two materialisers meeting), the insert breaks the
                // database's unique (type, id) index and the transaction rolls back, as the check below would.
                TransactionDetails fresh = new TransactionDetails();
                fresh.addResolvedResourceId(ae.getIdElement().toUnqualifiedVersionless(), null);
                // The targets were just looked up (each row id at most EXISTS_TTL old): HAPI links to them as
                // found rather than resolving each reference again. A target another replica deleted within that
                // time is still linked, as it stood when the access happened; a delete here forgets it at once.
                built.targets().forEach((ref, pid) -> fresh.addResolvedResourceId(new IdType(ref), JpaPid.fromId(pid)));
                SystemRequestDetails server = new SystemRequestDetails();
                server.getUserData().put(VersionRecorder.NEW_BY_CONSTRUCTION, Boolean.TRUE);
                DaoMethodOutcome outcome = dao.update(ae, null, true, false, server, fresh);
                if (!Boolean.TRUE.equals(outcome.getCreated())) {
                    throw new IllegalStateException(ae.getIdElement().getIdPart() + " was stored already");
                }
                // Each update's look-ups auto-flush the session, dirty-checking every entity of the AuditEvents
                // before it: a whole batch in one session cost the square of its size (most of the materialiser's
                // CPU in a profile). Written out and let go every FLUSH_EVERY AuditEvents, that check stays small,
                // and their rows still go to the database in shared JDBC batches (one round trip per table for
                // several AuditEvents rather than for each: the materialiser fell behind on PostgreSQL under load).
                // The transaction still commits them all.
                if (session != null && ++unflushed == FLUSH_EVERY) {
                    session.flush();
                    session.clear();
                    unflushed = 0;
                }
            }
            if (session != null && unflushed > 0) session.flush(); // all stored before the records are marked
            afterStoring.accept(ids);
            if (records.markDone(ids) != ids.size()) {
                throw new IllegalStateException("audit records materialised by another materialiser");
            }
        });
    }

    /** Readers waiting in {@link #catchUp} look again. */
    private void progressed() {
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    /** What the {@code audit} health indicator shows. */
    AuditRecords.Backlog backlog() {
        return records.backlog();
    }

    /** Whether this replica is the database's materialiser. */
    boolean active() {
        return running && lock.held();
    }

    private void loop() {
        while (running) {
            try {
                if (paused || !lock.tryAcquire()) {
                    wakeRequested = false; // a standby has nothing to do on a wake-up but try the lock again later
                    await(
                            paused
                                    ? settings.pollInterval().toMillis()
                                    : settings.lockRetry().toMillis());
                    continue;
                }
                wakeRequested = false;
                int taken = materialise(Long.MAX_VALUE);
                retryDue();
                if (taken == settings.batchSize()) continue;
                if (!wakeRequested) await(settings.pollInterval().toMillis());
                if (wakeRequested) linger();
            } catch (RuntimeException e) {
                // by class only: a message could quote a record's values
                log.warn(
                        "audit materialiser: a batch failed, retrying ({})",
                        e.getClass().getName());
                await(settings.lockRetry().toMillis());
            }
        }
    }

    /**
     * After a wake-up, lets the commits of the next {@code audit.linger} join the batch: one transaction for a few
     * records instead of one each (each costs a commit and the batch's own queries). Cut short by a pause or a stop.
     * A reader waiting for the audit trail on this replica does the batch itself (the lock is this replica's); on
     * another replica it waits for this one, so up to the linger longer.
     */
    private void linger() {
        long millis = (linger != null ? linger : settings.linger()).toMillis();
        if (millis == 0) return;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (signal) {
            long left;
            while (running && !paused && !urgent && (left = end - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
        urgent = false;
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

    /** The clock a reader's wait is measured with ({@link ReadWait}): a test's, to make batches look slow. */
    void readWaitClock(LongSupplier clock) {
        this.nanoTime = clock == null ? System::nanoTime : clock;
    }

    /** The linger after a wake-up: a test's, long enough to see records join one batch (null: the setting's). */
    void linger(Duration linger) {
        this.linger = linger;
    }

    /** Holds the background loop back (read-your-audits still materialises). */
    void pause(boolean pause) {
        this.paused = pause;
        wakeNow();
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
            wakeNow(); // not an interrupt: it could land in the middle of a database write
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
