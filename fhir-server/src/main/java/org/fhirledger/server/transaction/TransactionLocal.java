package org.fhirledger.server.transaction;

import java.util.function.Supplier;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * One value per transaction in progress, itself a synchronisation of that transaction: made on first use, found
 * again by a map look-up, gone when the transaction completes. A transaction suspended for another (REQUIRES_NEW)
 * keeps its value out of sight of the other until it resumes.
 *
 * <p>Why not search {@link TransactionSynchronizationManager#getSynchronizations()} for it: that call copies and
 * sorts every synchronisation registered so far, and a transaction bundle registers some per entry, so a look-up per
 * entry cost the square of the bundle's size (visible in a profile of bulk loads).
 */
public final class TransactionLocal<T extends TransactionSynchronization> {
    private final Object key = new Object();
    private final Supplier<T> make;

    public TransactionLocal(Supplier<T> make) {
        this.make = make;
    }

    /** The current transaction's value; null outside transaction synchronisation or when none was made yet. */
    @SuppressWarnings("unchecked")
    public T current() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) return null;
        Binding b = (Binding) TransactionSynchronizationManager.getResource(key);
        return b == null ? null : b.value;
    }

    /** The current transaction's value, made and registered if there is none; null outside synchronisation. */
    public T currentOrNew() {
        T existing = current();
        if (existing != null || !TransactionSynchronizationManager.isSynchronizationActive()) return existing;
        Binding b = new Binding(make.get());
        TransactionSynchronizationManager.registerSynchronization(b);
        TransactionSynchronizationManager.bindResource(key, b);
        return b.value;
    }

    /** Registered in the value's place: keeps the key bound exactly while its transaction is the current one. */
    private final class Binding implements TransactionSynchronization {
        final T value;

        Binding(T value) {
            this.value = value;
        }

        @Override
        public int getOrder() {
            return value.getOrder();
        }

        @Override
        public void suspend() {
            TransactionSynchronizationManager.unbindResourceIfPossible(key);
            value.suspend();
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(key, this);
            value.resume();
        }

        @Override
        public void flush() {
            value.flush();
        }

        @Override
        public void beforeCommit(boolean readOnly) {
            value.beforeCommit(readOnly);
        }

        @Override
        public void beforeCompletion() {
            value.beforeCompletion();
        }

        @Override
        public void afterCommit() {
            value.afterCommit();
        }

        @Override
        public void afterCompletion(int status) {
            TransactionSynchronizationManager.unbindResourceIfPossible(key);
            value.afterCompletion(status);
        }
    }
}
