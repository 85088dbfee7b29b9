package org.fhirledger.server.outbox;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Only one ledger writer per signing account (and one chain follower and anchorer per database: {@link #forJob}),
 * whatever the number of replicas on the database. On PostgreSQL a
 * session-level advisory lock keyed by the account, held on a connection of its own (from the background pool the
 * wiring passes in, never the request pool, which it would hold a connection of for good): when the holder dies
 * (kill -9, lost network) PostgreSQL ends its session and the lock is free for a standby at once. On any other database
 * (the embedded H2 file database, which only one process can open) a lock within this JVM.
 */
public interface WriterLock extends AutoCloseable {

    /** Tries to take the lock; true if this instance holds it now. */
    boolean tryAcquire();

    /** Whether this instance still holds the lock (for PostgreSQL: its session is alive). */
    boolean held();

    /** Gives the lock up. */
    @Override
    void close();

    static WriterLock forAccount(DataSource dataSource, boolean postgres, String account) {
        String name = "fhir-ledger/ledger-writer/" + account.toLowerCase(Locale.ROOT);
        return postgres ? new PostgresAdvisoryLock(dataSource, keyOf(name)) : new InProcess(name);
    }

    /**
     * The lock of a background job that must run on one replica of this database at a time. Within one JVM (H2) it
     * is per database URL: servers on other databases in the same JVM (tests) do not wait for each other.
     */
    static WriterLock forJob(DataSource dataSource, boolean postgres, String job) {
        String name = "fhir-ledger/" + job;
        if (postgres) return new PostgresAdvisoryLock(dataSource, keyOf(name));
        try (Connection c = dataSource.getConnection()) {
            return new InProcess(name + "@" + c.getMetaData().getURL());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the database URL", e);
        }
    }

    /** Whether the database is PostgreSQL (advisory locks; several replicas possible). */
    static boolean postgres(DataSource dataSource) {
        return OutboxStore.isPostgres(dataSource);
    }

    /** The 64-bit advisory lock key: the first 8 bytes of SHA-256 of the lock name. */
    static long keyOf(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) k = (k << 8) | (d[i] & 0xff);
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    final class InProcess implements WriterLock {
        private static final Set<String> HELD = ConcurrentHashMap.newKeySet();
        private final String name;
        private boolean mine;

        InProcess(String name) {
            this.name = name;
        }

        @Override
        public synchronized boolean tryAcquire() {
            if (!mine) mine = HELD.add(name);
            return mine;
        }

        @Override
        public synchronized boolean held() {
            return mine;
        }

        @Override
        public synchronized void close() {
            if (mine) HELD.remove(name);
            mine = false;
        }
    }

    final class PostgresAdvisoryLock implements WriterLock {
        private static final Logger log = LoggerFactory.getLogger(PostgresAdvisoryLock.class);
        private final DataSource dataSource;
        private final long key;
        private Connection connection;
        // bumped by close(): an acquisition under way when the lock was given up must not keep what it then gets
        private long generation;

        PostgresAdvisoryLock(DataSource dataSource, long key) {
            this.dataSource = dataSource;
            this.key = key;
        }

        /**
         * Waits for a connection and the lock without holding this object's monitor: {@link #close()} (a stop) must
         * not wait for a pool that has no connection to give (the database gone) for its whole connection timeout.
         */
        @Override
        public boolean tryAcquire() {
            long started;
            synchronized (this) {
                if (held()) return true;
                started = generation;
            }
            Connection c;
            try {
                c = dataSource.getConnection();
            } catch (SQLException e) {
                log.warn(
                        "advisory lock: cannot reach the database ({})",
                        e.getClass().getSimpleName());
                return false;
            }
            boolean locked = false;
            try {
                c.setAutoCommit(true);
                try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_lock(?)")) {
                    ps.setLong(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        locked = rs.next() && rs.getBoolean(1);
                    }
                }
            } catch (SQLException e) {
                log.warn(
                        "advisory lock: cannot reach the database ({})",
                        e.getClass().getSimpleName());
            }
            boolean heldHere = false;
            synchronized (this) {
                if (started == generation) {
                    if (locked && connection == null) {
                        connection = c;
                        return true;
                    }
                    // another thread of this replica (a reader catching the audit trail up) took it meanwhile
                    heldHere = connection != null;
                }
            }
            // not taken, taken by another thread of ours, or given up meanwhile: this session ends here, and with it
            // any lock it took
            evict(c);
            return heldHere;
        }

        @Override
        public synchronized boolean held() {
            if (connection == null) return false;
            try (PreparedStatement ps = connection.prepareStatement(
                    "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
                            + " and granted and objid = ? and classid = ?")) {
                // A bigint key is stored as classid = high 32 bits, objid = low 32 bits (both unsigned oids).
                ps.setLong(1, key & 0xffffffffL);
                ps.setLong(2, (key >>> 32) & 0xffffffffL);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(1) > 0) return true;
                }
            } catch (SQLException e) {
                log.warn("advisory lock: session lost ({})", e.getClass().getSimpleName());
            }
            closeQuietly();
            return false;
        }

        @Override
        public synchronized void close() {
            generation++;
            if (connection == null) return;
            try (PreparedStatement ps = connection.prepareStatement("select pg_advisory_unlock(?)")) {
                ps.setLong(1, key);
                ps.execute();
            } catch (SQLException ignored) {
                // the session ends below anyway
            }
            closeQuietly();
        }

        /** Never back into the pool: a pooled session still holding the lock would keep it from everyone. */
        private void closeQuietly() {
            if (connection != null) evict(connection);
            connection = null;
        }

        private void evict(Connection c) {
            try {
                if (dataSource.isWrapperFor(HikariDataSource.class)) {
                    dataSource.unwrap(HikariDataSource.class).evictConnection(c);
                } else {
                    c.close();
                }
            } catch (SQLException ignored) {
                // nothing to do
            }
        }
    }
}
