package org.fhirledger.server.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionTemplate;

/** One value per transaction, on a real transaction manager (in-memory H2): made once, kept apart, let go. */
class TransactionLocalTest {

    private static final DataSourceTransactionManager TRANSACTIONS = new DataSourceTransactionManager(
            new SimpleDriverDataSource(new org.h2.Driver(), "jdbc:h2:mem:transaction-local-test;DB_CLOSE_DELAY=-1"));

    /** What a value saw of its transaction. */
    private static final class Seen implements TransactionSynchronization {
        final List<String> events = new ArrayList<>();

        @Override
        public void afterCommit() {
            events.add("commit");
        }

        @Override
        public void afterCompletion(int status) {
            events.add(status == STATUS_COMMITTED ? "committed" : "rolled back");
        }
    }

    private final List<Seen> made = new ArrayList<>();
    private final TransactionLocal<Seen> local = new TransactionLocal<>(() -> {
        Seen s = new Seen();
        made.add(s);
        return s;
    });

    @Test
    void noneOutsideATransaction() {
        assertThat(local.current()).isNull();
        assertThat(local.currentOrNew()).isNull();
        assertThat(made).isEmpty();
    }

    @Test
    void oneValuePerTransactionToldOnceOfItsEnd() {
        inTransaction(
                () -> {
                    assertThat(local.current()).as("none before the first use").isNull();
                    Seen first = local.currentOrNew();
                    assertThat(local.currentOrNew()).isSameAs(first);
                    assertThat(local.current()).isSameAs(first);
                },
                true);
        assertThat(made).hasSize(1);
        assertThat(made.get(0).events).containsExactly("commit", "committed");

        inTransaction(
                () -> assertThat(local.current())
                        .as("the next transaction starts without")
                        .isNull(),
                true);
        inTransaction(() -> local.currentOrNew(), false);
        assertThat(made).hasSize(2);
        assertThat(made.get(1).events).containsExactly("rolled back");
        assertThat(local.current())
                .as("nothing left bound after the transactions")
                .isNull();
        inTransaction(() -> assertThat(local.current()).isNull(), true);
    }

    @Test
    void aTransactionSuspendedForAnotherKeepsItsOwn() {
        inTransaction(
                () -> {
                    Seen outer = local.currentOrNew();
                    inTransaction(
                            () -> {
                                assertThat(local.current())
                                        .as("the suspended one's is out of sight")
                                        .isNull();
                                assertThat(local.currentOrNew()).isNotSameAs(outer);
                            },
                            false);
                    assertThat(local.current()).as("back once it resumes").isSameAs(outer);
                },
                true);
        assertThat(made).hasSize(2);
        assertThat(made.get(0).events).as("outer").containsExactly("commit", "committed");
        assertThat(made.get(1).events).as("inner").containsExactly("rolled back");
    }

    @Test
    void aTransactionJoinedSharesTheValue() {
        inTransaction(
                () -> {
                    Seen outer = local.currentOrNew();
                    TransactionTemplate joined = new TransactionTemplate(TRANSACTIONS); // PROPAGATION_REQUIRED
                    joined.executeWithoutResult(
                            s -> assertThat(local.currentOrNew()).isSameAs(outer));
                },
                true);
        assertThat(made).hasSize(1);
        assertThat(made.get(0).events).containsExactly("commit", "committed");
    }

    private static void inTransaction(Runnable work, boolean commit) {
        TransactionTemplate tx = new TransactionTemplate(TRANSACTIONS);
        tx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        tx.executeWithoutResult(status -> {
            work.run();
            if (!commit) status.setRollbackOnly();
        });
    }
}
