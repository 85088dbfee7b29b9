package org.fhirledger.server.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.fhirledger.server.transaction.AfterCommitOnce;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes audit records durable before the response goes out, sharing commits between concurrent requests (group
 * commit): a request queues its records and takes the append lock; whoever holds it writes everything queued at
 * that moment in one transaction and releases those callers together, so N requests arriving during one commit cost
 * one more commit, not N. Nothing is kept in memory past the caller: a record not committed within
 * {@code audit.append-timeout}, or whose transaction failed, fails its request ({@link AuditUnavailableException}).
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final DataSource dataSource;
    private final AuditRecords records;
    private final Duration timeout;
    private final Runnable appended;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Waiting> queue = new ConcurrentLinkedQueue<>();
    private final AfterCommitOnce wakeAfterCommit;

    /** @param appended told after records were committed (the materialiser's wake-up) */
    public AuditLog(DataSource dataSource, AuditRecords records, Duration timeout, Runnable appended) {
        this.dataSource = dataSource;
        this.records = records;
        this.timeout = timeout;
        this.appended = appended;
        this.wakeAfterCommit = new AfterCommitOnce(appended);
    }

    private static final class Waiting {
        final List<AuditRecord> records;
        volatile boolean done;
        volatile RuntimeException failure;

        Waiting(List<AuditRecord> records) {
            this.records = records;
        }
    }

    /** Returns once the records are committed; throws {@link AuditUnavailableException} if they could not be. */
    public void append(List<AuditRecord> toAppend) {
        if (toAppend.isEmpty()) return;
        Waiting me = new Waiting(toAppend);
        queue.add(me);
        boolean locked;
        try {
            locked = appendLock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            // not taken by a commit yet: withdrawn, so nothing is recorded for an answer never given
            if (queue.remove(me)) throw unavailable();
            // taken by the commit under way: its outcome is this request's
            appendLock.lock();
            appendLock.unlock();
        } else {
            try {
                if (!me.done) commitQueued();
            } finally {
                appendLock.unlock();
            }
        }
        if (me.failure != null) throw me.failure;
    }

    /** Under the append lock: everything queued now, in one transaction. */
    private void commitQueued() {
        List<Waiting> batch = new ArrayList<>();
        List<AuditRecord> rows = new ArrayList<>();
        for (Waiting w; (w = queue.poll()) != null; ) {
            batch.add(w);
            rows.addAll(w.records);
        }
        RuntimeException failure = null;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                AuditRecords.insert(c, rows);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            // by class only: a database message would quote the values
            log.error(
                    "audit log: {} records could not be committed ({})",
                    rows.size(),
                    e.getClass().getName());
            failure = unavailable();
        }
        for (Waiting w : batch) {
            w.failure = failure;
            w.done = true;
        }
        if (failure == null) appended.run();
    }

    /** A change's records, in the change's own transaction (so they commit or roll back with it). */
    public void appendInTransaction(List<AuditRecord> toAppend) {
        if (toAppend.isEmpty()) return;
        records.insertInTransaction(toAppend);
        wakeAfterCommit.request(); // once per transaction, however many of its changes append
    }

    private static AuditUnavailableException unavailable() {
        return new AuditUnavailableException(
                "The access could not be audited, so nothing is returned: retry in a moment");
    }
}
