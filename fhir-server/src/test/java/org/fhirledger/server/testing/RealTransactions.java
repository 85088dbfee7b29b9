package org.fhirledger.server.testing;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Transactions of a real Spring transaction manager (over an in-memory H2 database, used for nothing else), for
 * tests of what rides on transaction synchronisation: commit, rollback and REQUIRES_NEW suspension as HAPI's own
 * transactions have them.
 */
public final class RealTransactions {
    private static final DataSourceTransactionManager MANAGER = new DataSourceTransactionManager(
            new SimpleDriverDataSource(new org.h2.Driver(), "jdbc:h2:mem:real-transactions;DB_CLOSE_DELAY=-1"));

    private RealTransactions() {}

    /** Runs the work in a new transaction (REQUIRES_NEW: one already in progress is suspended), then commits or rolls back. */
    public static void inNew(Runnable work, boolean commit) {
        TransactionTemplate tx = new TransactionTemplate(MANAGER);
        tx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        tx.executeWithoutResult(status -> {
            work.run();
            if (!commit) status.setRollbackOnly();
        });
    }

    /** Runs the work in the transaction in progress (REQUIRED: joins it). */
    public static void joined(Runnable work) {
        new TransactionTemplate(MANAGER).executeWithoutResult(status -> work.run());
    }
}
