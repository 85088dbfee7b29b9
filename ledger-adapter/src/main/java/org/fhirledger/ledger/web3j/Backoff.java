package org.fhirledger.ledger.web3j;

import java.time.Duration;

/** Exponential backoff between retries of transient RPC errors. */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private long next;

    Backoff(Duration initial, Duration max) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.next = initialMillis;
    }

    long nextDelayMillis() {
        long d = next;
        next = Math.min(maxMillis, next * 2);
        return d;
    }

    void reset() {
        next = initialMillis;
    }
}
