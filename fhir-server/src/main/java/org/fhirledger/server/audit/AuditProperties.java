package org.fhirledger.server.audit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The audit log and its materialiser, under {@code audit.*}. Every key is documented in docs/configuration.md.
 *
 * @param appendTimeout a request waits this long for its audit record to be committed, then fails (503)
 * @param batchSize     records turned into AuditEvents per transaction
 * @param pollInterval  how often the materialiser looks for records when no commit woke it (records of other
 *                      replicas on the same database)
 * @param readWait      an AuditEvent read waits this long for the records committed before it to be
 *                      materialised, then fails (503) rather than answer without them
 * @param lockRetry     how often a standby replica tries to become the materialiser
 */
@ConfigurationProperties("audit")
public record AuditProperties(
        Duration appendTimeout, Integer batchSize, Duration pollInterval, Duration readWait, Duration lockRetry) {

    public AuditProperties {
        appendTimeout = appendTimeout == null ? Duration.ofSeconds(10) : appendTimeout;
        batchSize = batchSize == null ? 200 : batchSize;
        pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
        readWait = readWait == null ? Duration.ofSeconds(10) : readWait;
        lockRetry = lockRetry == null ? Duration.ofSeconds(2) : lockRetry;
        positive("audit.append-timeout", appendTimeout);
        positive("audit.poll-interval", pollInterval);
        positive("audit.read-wait", readWait);
        positive("audit.lock-retry", lockRetry);
        if (batchSize < 1) throw new IllegalArgumentException("audit.batch-size must be at least 1");
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
}
