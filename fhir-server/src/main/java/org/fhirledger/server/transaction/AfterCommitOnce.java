package org.fhirledger.server.transaction;

import org.springframework.transaction.support.TransactionSynchronization;

/**
 * An action run once after the commit of the transaction in progress, however often it is asked for during that
 * transaction (a bundle asks once per entry); never after a rollback; at once when no transaction is in progress.
 * The ledger writer's and the audit materialiser's wake-ups.
 */
public final class AfterCommitOnce {
    private final Runnable action;
    private final TransactionLocal<TransactionSynchronization> pending;

    public AfterCommitOnce(Runnable action) {
        this.action = action;
        this.pending = new TransactionLocal<>(() -> new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                action.run();
            }
        });
    }

    public void request() {
        if (pending.currentOrNew() == null) action.run();
    }
}
