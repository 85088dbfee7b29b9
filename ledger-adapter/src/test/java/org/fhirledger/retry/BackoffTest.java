package org.fhirledger.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesUpToTheMaximumAndStartsOverAfterReset() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(500));
        assertThat(new long[] {
                    b.nextDelayMillis(),
                    b.nextDelayMillis(),
                    b.nextDelayMillis(),
                    b.nextDelayMillis(),
                    b.nextDelayMillis()
                })
                .containsExactly(100, 200, 400, 500, 500);
        b.reset();
        assertThat(b.nextDelayMillis()).isEqualTo(100);
    }

    @Test
    void aMaximumBelowTheFirstWaitIsTheFirstWait() {
        Backoff b = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1));
        assertThat(b.nextDelayMillis()).isEqualTo(2000);
        assertThat(b.nextDelayMillis()).isEqualTo(2000);
    }

    @Test
    void neverWaitsZero() {
        assertThat(new Backoff(Duration.ZERO, Duration.ZERO).nextDelayMillis()).isEqualTo(1);
    }
}
