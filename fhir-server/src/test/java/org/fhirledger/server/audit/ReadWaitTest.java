package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A reader waits while the records it waits for keep being materialised; it gives up on a stall, or at the cap. */
class ReadWaitTest {

    private final AtomicLong now = new AtomicLong(1_000);

    private ReadWait readWait() {
        return new ReadWait(Duration.ofSeconds(10), Duration.ofSeconds(60), now::get);
    }

    private void pass(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aBusyMaterialiserThatKeepsProgressingIsWaitedForPastTheStallTime() {
        ReadWait w = readWait();
        w.remaining(500);
        for (long left = 499; left > 0; left -= 100) {
            pass(Duration.ofSeconds(8));
            w.remaining(left);
            assertThat(w.over()).as("%d left after progress", left).isFalse();
        }
    }

    @Test
    void aStalledMaterialiserIsGivenUpOnAfterTheStallTime() {
        ReadWait w = readWait();
        w.remaining(5);
        pass(Duration.ofSeconds(9));
        w.remaining(5);
        assertThat(w.over()).isFalse();
        pass(Duration.ofSeconds(2));
        w.remaining(5); // no progress: the stall clock was not started again
        assertThat(w.over()).isTrue();
    }

    @Test
    void theWaitEndsAtTheCapWhateverTheProgress() {
        ReadWait w = readWait();
        long left = 1_000_000;
        w.remaining(left);
        for (int i = 0; i < 7; i++) {
            pass(Duration.ofSeconds(9));
            w.remaining(--left);
        }
        assertThat(w.over()).as("63 s in").isTrue();
    }
}
