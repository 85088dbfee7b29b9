package org.fhirledger.ledger.web3j;

import java.util.concurrent.CompletableFuture;
import org.fhirledger.ledger.LedgerReceipt;

/** An entry queued for a batch, until its receipt (or failure) completes its future. */
final class Pending<E> {
    final E entry;
    final CompletableFuture<LedgerReceipt> future = new CompletableFuture<>();
    final long enqueuedNanos = System.nanoTime();
    int attempts;

    Pending(E entry) {
        this.entry = entry;
    }
}
