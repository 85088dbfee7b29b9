package org.fhirledger.server.audit;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How long a read waits for the audit records committed before it: as long as they keep being materialised (none for
 * {@code stall} is a stalled materialiser: give up), and no longer than {@code max} in all. A busy materialiser far
 * behind is not a stalled one: the records a reader waits for are a fixed set that only shrinks while it progresses.
 */
final class ReadWait {

    private final LongSupplier nanoTime;
    private final long stallNanos;
    private final long end;
    private long remaining = Long.MAX_VALUE;
    private long stalledAt;

    ReadWait(Duration stall, Duration max, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.stallNanos = stall.toNanos();
        long now = nanoTime.getAsLong();
        this.end = now + max.toNanos();
        this.stalledAt = now + stallNanos;
    }

    /** The records still awaited now: fewer than at the last look is progress, and the stall clock starts again. */
    void remaining(long stillAwaited) {
        if (stillAwaited < remaining) {
            remaining = stillAwaited;
            stalledAt = nanoTime.getAsLong() + stallNanos;
        }
    }

    /** Whether the reader should give up now. */
    boolean over() {
        long now = nanoTime.getAsLong();
        return now - stalledAt > 0 || now - end > 0;
    }
}
