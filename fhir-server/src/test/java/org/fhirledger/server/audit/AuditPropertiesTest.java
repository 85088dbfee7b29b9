package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuditPropertiesTest {

    private static AuditProperties withLingerAndPoll(Duration linger, Duration poll) {
        return new AuditProperties(null, null, linger, poll, null, null, null, null, null);
    }

    @Test
    void theLingerDefaultsTo300msAndMayBeTurnedOff() {
        assertThat(withLingerAndPoll(null, null).linger()).isEqualTo(Duration.ofMillis(300));
        assertThat(withLingerAndPoll(Duration.ZERO, null).linger()).isZero();
        assertThat(withLingerAndPoll(Duration.ofSeconds(1), Duration.ofSeconds(1))
                        .linger())
                .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aNegativeLingerOrOneLongerThanThePollIntervalIsRefused() {
        assertThatThrownBy(() -> withLingerAndPoll(Duration.ofMillis(-1), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("audit.linger");
        assertThatThrownBy(() -> withLingerAndPoll(Duration.ofMillis(1001), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("audit.poll-interval");
    }
}
