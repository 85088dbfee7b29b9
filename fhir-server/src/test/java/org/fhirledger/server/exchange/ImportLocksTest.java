package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.persistence.EntityManagerFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.testing.PostgresInitializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The import lock on a real PostgreSQL, in transactions as the import runs them (JPA, as HAPI's): a second
 * transaction taking the lock of the same member resource waits until the first one commits (across connections,
 * so across replicas), one of another resource does not, and nothing stays held after the commit.
 * (ImportWithProvenanceTest covers H2 through the operation itself.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImportLocksTest {

    private DataSource dataSource;
    private LocalContainerEntityManagerFactoryBean factory;
    private TransactionTemplate transactions;
    private ImportLocks locks;

    @BeforeAll
    void postgres() {
        dataSource = PostgresInitializer.postgres().getPostgresDatabase();
        factory = new LocalContainerEntityManagerFactoryBean();
        factory.setDataSource(dataSource);
        factory.setPackagesToScan("org.fhirledger.server.exchange.no.entities");
        factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
        factory.setPersistenceUnitName("import-locks-test");
        factory.afterPropertiesSet();
        EntityManagerFactory emf = factory.getObject();
        transactions = new TransactionTemplate(new JpaTransactionManager(emf));
        locks = new ImportLocks(emf);
    }

    @AfterAll
    void close() {
        if (factory != null) factory.destroy();
    }

    @Test
    void aSecondImportOfTheSameResourceWaitsForTheFirstToCommit() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch firstHolds = new CountDownLatch(1);
        CountDownLatch firstMayCommit = new CountDownLatch(1);
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> transactions.executeWithoutResult(t -> {
            locks.lockForTransaction(List.of("0xa/Observation/1"));
            events.add("first holds");
            firstHolds.countDown();
            await(firstMayCommit);
            events.add("first commits");
        }));
        await(firstHolds);
        // another resource of the same member is not held up
        transactions.executeWithoutResult(t -> locks.lockForTransaction(List.of("0xa/Observation/2")));

        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> transactions.executeWithoutResult(t -> {
            locks.lockForTransaction(List.of("0xa/Condition/9", "0xa/Observation/1"));
            events.add("second holds");
        }));
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        PipelineServer.await(
                () -> held(jdbc, "0xa/Observation/1", false) > 0,
                Duration.ofSeconds(30),
                "the second import did not wait for the lock");
        assertThat(events).containsExactly("first holds");
        firstMayCommit.countDown();
        first.get(30, TimeUnit.SECONDS);
        second.get(30, TimeUnit.SECONDS);
        assertThat(events).containsExactly("first holds", "first commits", "second holds");
        for (String key : List.of("0xa/Observation/1", "0xa/Observation/2", "0xa/Condition/9")) {
            assertThat(held(jdbc, key, true) + held(jdbc, key, false))
                    .as("released with the transactions")
                    .isZero();
        }
    }

    /** Advisory locks of this import key, granted or waited for (a bigint key is classid, objid; objsubid 1). */
    private static long held(JdbcTemplate jdbc, String key, boolean granted) {
        long k = ImportLocks.keyOf(key);
        return jdbc.queryForObject(
                "select count(*) from pg_locks where locktype = 'advisory' and objsubid = 1"
                        + " and classid::bigint = ? and objid::bigint = ? and granted = ?",
                Long.class,
                k >>> 32,
                k & 0xffffffffL,
                granted);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("not released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
