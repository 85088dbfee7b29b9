package org.fhirledger.server.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.fhirledger.ledger.LedgerOutage;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * "outbox" in /actuator/health: the backlog (unconfirmed rows and the age of the oldest), this replica's writer
 * state (active or standby), rows handed to the ledger and not yet confirmed, and the last error of the chain and of
 * the content store. DOWN while the chain or the content store fails, or when the oldest unconfirmed row is older
 * than {@code outbox.stalled-after}, or while the ledger's probe finds the chain unreachable (even with nothing to
 * send). Part of the overall health only, not of readiness: FHIR keeps serving and
 * writes queue in the outbox.
 */
public class OutboxHealthIndicator extends AbstractHealthIndicator {

    private final OutboxStore store;
    private final LedgerWriter writer;
    private final Duration stalledAfter;
    private final String contentStoreKind;
    private final String contentStoreLocation;
    private final Supplier<Optional<LedgerOutage>> chainOutage;

    public OutboxHealthIndicator(
            OutboxStore store,
            LedgerWriter writer,
            Duration stalledAfter,
            String contentStoreKind,
            String contentStoreLocation,
            Supplier<Optional<LedgerOutage>> chainOutage) {
        super("outbox health check failed");
        this.chainOutage = chainOutage;
        this.store = store;
        this.writer = writer;
        this.stalledAfter = stalledAfter;
        this.contentStoreKind = contentStoreKind;
        this.contentStoreLocation = contentStoreLocation;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        OutboxStore.Backlog backlog = store.backlog();
        long now = System.currentTimeMillis();
        double oldestAge = backlog.oldestCreatedAt() == null ? 0 : (now - backlog.oldestCreatedAt()) / 1000.0;
        WriterHealth writer = this.writer.health();
        builder.withDetail("backlog", backlog.unconfirmed())
                .withDetail("oldestPendingSeconds", Math.round(oldestAge * 10) / 10.0)
                .withDetail("writer", writer.state().name().toLowerCase())
                .withDetail("inFlight", writer.inFlight())
                .withDetail("conflicts", backlog.conflicts())
                .withDetail("contentStore", contentStoreKind + " " + contentStoreLocation);
        writer.oldestInFlightSince()
                .ifPresent(t -> builder.withDetail("oldestInFlightSeconds", Math.round((now - t) / 100.0) / 10.0));
        WriterHealth.Problem chain = writer.chainProblem();
        WriterHealth.Problem content = writer.contentProblem();
        if (chain != null) {
            builder.withDetail("chainError", chain.message() + " (" + Instant.ofEpochMilli(chain.at()) + ")");
        } else {
            // the writer may have nothing to send: the ledger's probe still knows the chain is gone
            chain = chainOutage
                    .get()
                    .map(o -> new WriterHealth.Problem(
                            "chain unreachable (" + o.reason() + ")", o.since().toEpochMilli()))
                    .orElse(null);
            if (chain != null)
                builder.withDetail("chainError", chain.message() + " since " + Instant.ofEpochMilli(chain.at()));
        }
        if (content != null) {
            builder.withDetail(
                    "contentStoreError", content.message() + " (" + Instant.ofEpochMilli(content.at()) + ")");
        }
        boolean stalled = oldestAge > stalledAfter.toSeconds();
        if (stalled) builder.withDetail("stalled", "oldest unconfirmed version older than " + stalledAfter);
        if (chain != null || content != null || stalled) builder.down();
        else builder.up();
    }
}
