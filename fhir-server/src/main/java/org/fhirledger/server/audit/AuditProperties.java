package org.fhirledger.server.audit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The audit log and its materialiser, under {@code audit.*}. Every key is documented in docs/configuration.md.
 *
 * @param appendTimeout     a request waits this long for its audit record to be committed, then fails (503)
 * @param batchSize         records turned into AuditEvents per transaction
 * @param linger            after a commit woke it, the materialiser waits this long for more records to join the
 *                          batch (0: none); a reader waiting for the audit trail on the materialising replica does
 *                          the batch itself, one on another replica may wait this much longer
 * @param pollInterval      how often the materialiser looks for records when no commit woke it (records of other
 *                          replicas on the same database)
 * @param readWait          an AuditEvent read waits for the records committed before it to be materialised; it
 *                          fails (503) when none of them was materialised for this long (the materialiser stalls)
 * @param readWaitMax       and at most this long in all, however steadily the materialiser progresses
 * @param lockRetry         how often a standby replica tries to become the materialiser
 * @param retryBackoff      a record whose AuditEvent could not be stored is tried again after this long, then after
 *                          twice as long each time
 * @param retryBackoffMax   the longest time between two tries of such a record
 */
@ConfigurationProperties("audit")
public record AuditProperties(
        Duration appendTimeout,
        Integer batchSize,
        Duration linger,
        Duration pollInterval,
        Duration readWait,
        Duration readWaitMax,
        Duration lockRetry,
        Duration retryBackoff,
        Duration retryBackoffMax) {

    public AuditProperties {
        appendTimeout = appendTimeout == null ? Duration.ofSeconds(10) : appendTimeout;
        batchSize = batchSize == null ? 50 : batchSize;
        linger = linger == null ? Duration.ofMillis(300) : linger;
        pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
        readWait = readWait == null ? Duration.ofSeconds(10) : readWait;
        readWaitMax = readWaitMax == null ? Duration.ofSeconds(60) : readWaitMax;
        lockRetry = lockRetry == null ? Duration.ofSeconds(2) : lockRetry;
        retryBackoff = retryBackoff == null ? Duration.ofSeconds(5) : retryBackoff;
        retryBackoffMax = retryBackoffMax == null ? Duration.ofMinutes(15) : retryBackoffMax;
        positive("audit.append-timeout", appendTimeout);
        positive("audit.poll-interval", pollInterval);
        positive("audit.read-wait", readWait);
        positive("audit.read-wait-max", readWaitMax);
        positive("audit.lock-retry", lockRetry);
        positive("audit.retry-backoff", retryBackoff);
        positive("audit.retry-backoff-max", retryBackoffMax);
        if (linger.isNegative()) throw new IllegalArgumentException("audit.linger must not be negative");
        if (linger.compareTo(pollInterval) > 0)
            throw new IllegalArgumentException("audit.linger must not be longer than audit.poll-interval");
        if (batchSize < 1) throw new IllegalArgumentException("audit.batch-size must be at least 1");
        if (readWaitMax.compareTo(readWait) < 0)
            throw new IllegalArgumentException("audit.read-wait-max must be at least audit.read-wait");
        if (retryBackoffMax.compareTo(retryBackoff) < 0)
            throw new IllegalArgumentException("audit.retry-backoff-max must be at least audit.retry-backoff");
    }

    /** How long after its {@code attempts}-th failed try a record is tried again. */
    Duration backoffAfter(int attempts) {
        Duration d = retryBackoff;
        for (int i = 1; i < attempts && d.compareTo(retryBackoffMax) < 0; i++) d = d.multipliedBy(2);
        return d.compareTo(retryBackoffMax) > 0 ? retryBackoffMax : d;
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
}
