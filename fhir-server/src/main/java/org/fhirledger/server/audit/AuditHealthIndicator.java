package org.fhirledger.server.audit;

import java.time.Instant;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * "audit" in /actuator/health: records waiting to be materialised, this replica's part (the database's materialiser
 * or a standby), and the records whose AuditEvent could not be stored: how many, and for the oldest its number, its
 * tries, the class of its last error and its next try (no value of any record). DOWN while any record is failed: the
 * audit trail lacks an AuditEvent until the operator removes the cause. Part of the overall health only, not of
 * readiness: FHIR keeps serving, and every access is still recorded before its answer.
 */
public class AuditHealthIndicator extends AbstractHealthIndicator {

    private final AuditMaterialiser materialiser;

    public AuditHealthIndicator(AuditMaterialiser materialiser) {
        super("audit health check failed");
        this.materialiser = materialiser;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        AuditRecords.Backlog backlog = materialiser.backlog();
        builder.withDetail("pending", backlog.pending())
                .withDetail("materialiser", materialiser.active() ? "active" : "standby")
                .withDetail("failed", backlog.failed());
        AuditRecords.Failure oldest = backlog.oldestFailed();
        if (oldest != null) {
            builder.withDetail("oldestFailedRecord", oldest.recordId())
                    .withDetail("oldestFailedAttempts", oldest.attempts())
                    .withDetail("oldestFailedError", String.valueOf(oldest.lastError()))
                    .withDetail(
                            "oldestFailedNextTry",
                            Instant.ofEpochMilli(oldest.retryAt()).toString());
        }
        if (backlog.failed() > 0) builder.down();
        else builder.up();
    }
}
