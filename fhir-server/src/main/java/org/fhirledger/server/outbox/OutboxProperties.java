package org.fhirledger.server.outbox;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The ledger writer that drains the outbox, under {@code outbox.*} (only with {@code ledger.enabled=true}). Every
 * key is documented in docs/configuration.md.
 *
 * @param pollInterval   how often the writer looks for new rows when no commit woke it
 * @param batchSize      rows read from the outbox per round
 * @param maxInFlight    rows handed to the ledger adapter and not yet confirmed, at most
 * @param contentThreads parallel puts into the content store
 * @param retryInitial   first wait after the chain or the content store failed; doubles per failure
 * @param retryMax       longest wait between attempts
 * @param lockRetry      how often a standby replica tries to become the writer
 * @param stalledAfter   health is DOWN when the oldest unconfirmed row is older than this
 */
@ConfigurationProperties("outbox")
public record OutboxProperties(
        Duration pollInterval,
        Integer batchSize,
        Integer maxInFlight,
        Integer contentThreads,
        Duration retryInitial,
        Duration retryMax,
        Duration lockRetry,
        Duration stalledAfter) {

    public OutboxProperties {
        pollInterval = pollInterval == null ? Duration.ofMillis(250) : pollInterval;
        batchSize = batchSize == null ? 200 : batchSize;
        maxInFlight = maxInFlight == null ? 2000 : maxInFlight;
        contentThreads = contentThreads == null ? 4 : contentThreads;
        retryInitial = retryInitial == null ? Duration.ofMillis(500) : retryInitial;
        retryMax = retryMax == null ? Duration.ofSeconds(15) : retryMax;
        lockRetry = lockRetry == null ? Duration.ofSeconds(2) : lockRetry;
        stalledAfter = stalledAfter == null ? Duration.ofSeconds(60) : stalledAfter;
        positive("outbox.poll-interval", pollInterval);
        positive("outbox.retry-initial", retryInitial);
        positive("outbox.retry-max", retryMax);
        positive("outbox.lock-retry", lockRetry);
        positive("outbox.stalled-after", stalledAfter);
        if (batchSize < 1) throw new IllegalArgumentException("outbox.batch-size must be at least 1");
        if (maxInFlight < batchSize) {
            throw new IllegalArgumentException("outbox.max-in-flight must be at least outbox.batch-size");
        }
        if (contentThreads < 1) throw new IllegalArgumentException("outbox.content-threads must be at least 1");
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
}
