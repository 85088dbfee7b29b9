package org.fhirledger.server.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.fhirledger.server.testing.RealTransactions;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionSynchronization;

/**
 * One value per transaction, on a real transaction manager ({@link RealTransactions}): made once, kept apart, let
 * go; and the once-per-commit action built on it.
 */
class TransactionLocalTest {

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
        RealTransactions.inNew(
                () -> {
                    assertThat(local.current()).as("none before the first use").isNull();
                    Seen first = local.currentOrNew();
                    assertThat(local.currentOrNew()).isSameAs(first);
                    assertThat(local.current()).isSameAs(first);
                },
                true);
        assertThat(made).hasSize(1);
        assertThat(made.get(0).events).containsExactly("commit", "committed");

        RealTransactions.inNew(
                () -> assertThat(local.current())
                        .as("the next transaction starts without")
                        .isNull(),
                true);
        RealTransactions.inNew(() -> local.currentOrNew(), false);
        assertThat(made).hasSize(2);
        assertThat(made.get(1).events).containsExactly("rolled back");
        assertThat(local.current())
                .as("nothing left bound after the transactions")
                .isNull();
        RealTransactions.inNew(() -> assertThat(local.current()).isNull(), true);
    }

    @Test
    void aTransactionSuspendedForAnotherKeepsItsOwn() {
        RealTransactions.inNew(
                () -> {
                    Seen outer = local.currentOrNew();
                    RealTransactions.inNew(
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
        RealTransactions.inNew(
                () -> {
                    Seen outer = local.currentOrNew();
                    RealTransactions.joined(
                            () -> assertThat(local.currentOrNew()).isSameAs(outer));
                },
                true);
        assertThat(made).hasSize(1);
        assertThat(made.get(0).events).containsExactly("commit", "committed");
    }

    @Test
    void anAfterCommitActionRunsOnceAfterTheCommitAndNeverAfterARollback() {
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        AfterCommitOnce wake = new AfterCommitOnce(runs::incrementAndGet);
        RealTransactions.inNew(
                () -> {
                    wake.request();
                    wake.request();
                    RealTransactions.joined(wake::request);
                    assertThat(runs).as("not before the commit").hasValue(0);
                },
                true);
        assertThat(runs).as("once, however often asked").hasValue(1);
        RealTransactions.inNew(wake::request, false);
        assertThat(runs).as("not after a rollback").hasValue(1);
        wake.request();
        assertThat(runs).as("at once outside a transaction").hasValue(2);
    }
}
