package org.fhirledger.retry;

import java.time.Duration;

/**
 * Exponential backoff between retries: the first wait is {@code initial}, each next one doubles, up to {@code max};
 * {@link #reset()} after a success starts again from {@code initial}. Safe to share between threads.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private long next;

    public Backoff(Duration initial, Duration max) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.next = initialMillis;
    }

    /** The wait before the next attempt, in milliseconds; the one after it is twice as long (up to max). */
    public synchronized long nextDelayMillis() {
        long d = next;
        next = Math.min(maxMillis, next * 2);
        return d;
    }

    public synchronized void reset() {
        next = initialMillis;
    }
}
