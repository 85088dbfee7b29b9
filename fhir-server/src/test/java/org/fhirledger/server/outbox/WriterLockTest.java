package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.fhirledger.server.testing.PostgresInitializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The PostgreSQL advisory lock of the background jobs (one ledger writer per account, one materialiser, follower and
 * anchorer per database) on a real PostgreSQL: exclusive between holders, free again when given up, and given up at
 * once by a stop even while an acquisition waits for a connection the pool cannot give (the database gone at
 * shutdown: the stop used to wait for the pool's whole connection timeout).
 */
class WriterLockTest {

    private HikariDataSource pool;
    private HikariDataSource other;
    private String job;

    @BeforeEach
    void pools() {
        pool = pool(1);
        other = pool(2);
        job = "writer-lock-test/" + UUID.randomUUID();
    }

    @AfterEach
    void close() {
        pool.close();
        other.close();
    }

    private static HikariDataSource pool(int size) {
        EmbeddedPostgres pg = PostgresInitializer.postgres();
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
        ds.setUsername("postgres");
        ds.setPassword("");
        ds.setMaximumPoolSize(size);
        ds.setConnectionTimeout(30_000);
        return ds;
    }

    @Test
    void oneHolderAtATimeAndFreeAgainOnceGivenUp() {
        WriterLock a = WriterLock.forJob(pool, true, job);
        WriterLock b = WriterLock.forJob(other, true, job);
        WriterLock unrelated = WriterLock.forJob(other, true, job + "/other");

        assertThat(a.tryAcquire()).isTrue();
        assertThat(a.held()).isTrue();
        assertThat(a.tryAcquire()).as("taken again by its holder").isTrue();
        assertThat(b.tryAcquire()).as("held by a").isFalse();
        assertThat(b.held()).isFalse();
        assertThat(unrelated.tryAcquire()).as("another job's lock").isTrue();

        a.close();
        assertThat(a.held()).isFalse();
        assertThat(b.tryAcquire()).as("given up by a").isTrue();
        assertThat(a.tryAcquire()).as("held by b").isFalse();

        b.close();
        assertThat(a.tryAcquire())
                .as("a lock given up can be taken again (a standby anchorer's next run)")
                .isTrue();
        a.close();
        unrelated.close();
    }

    @Test
    void twoThreadsAcquiringAtOnceBothSeeTheLockHeldAndOnlyOneSessionKeepsIt() throws Exception {
        // the first caller's connection comes only once the second caller holds the lock: it then finds the lock
        // taken, by this very replica
        CountDownLatch secondHolds = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        HikariDataSource two = pool(2);
        DataSource gated = new DelegatingDataSource(two) {
            @Override
            public Connection getConnection() throws SQLException {
                if (calls.incrementAndGet() == 1) {
                    try {
                        secondHolds.await();
                    } catch (InterruptedException e) {
                        throw new SQLException(e);
                    }
                }
                return super.getConnection();
            }
        };
        WriterLock lock = WriterLock.forJob(gated, true, job);
        CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(lock::tryAcquire);
        while (calls.get() == 0) Thread.sleep(10);

        assertThat(lock.tryAcquire()).as("the second caller takes the lock").isTrue();
        secondHolds.countDown();

        assertThat(first.get(30, TimeUnit.SECONDS))
                .as("the first finds it held here")
                .isTrue();
        assertThat(lock.held()).isTrue();
        assertThat(WriterLock.forJob(other, true, job).tryAcquire())
                .as("still held")
                .isFalse();
        lock.close();
        WriterLock standby = WriterLock.forJob(other, true, job);
        assertThat(standby.tryAcquire())
                .as("no session of the first caller kept it")
                .isTrue();
        standby.close();
        two.close();
    }

    @Test
    void aStopDoesNotWaitForAnAcquisitionWaitingForAConnectionAndThatAcquisitionKeepsNothing() throws Exception {
        WriterLock lock = WriterLock.forJob(pool, true, job);
        Connection taken = pool.getConnection(); // the pool's only connection: the acquisition below waits for it
        CompletableFuture<Boolean> acquisition = CompletableFuture.supplyAsync(lock::tryAcquire);
        while (pool.getHikariPoolMXBean().getThreadsAwaitingConnection() == 0) {
            assertThat(acquisition).as("waits for the connection").isNotDone();
            Thread.sleep(20);
        }

        lock.close(); // what a stop does after its loop did not end in time

        assertThat(pool.getHikariPoolMXBean().getThreadsAwaitingConnection())
                .as("the stop returned while the acquisition still waits for its connection")
                .isEqualTo(1);
        assertThat(acquisition).isNotDone();

        taken.close(); // the connection comes: the acquisition takes the lock on it, sees the stop and lets it go
        assertThat(acquisition.get(30, TimeUnit.SECONDS)).isFalse();
        assertThat(lock.held()).isFalse();
        WriterLock standby = WriterLock.forJob(other, true, job);
        assertThat(standby.tryAcquire())
                .as("the session that took the lock after the stop is gone, and the lock with it")
                .isTrue();
        standby.close();
    }
}
