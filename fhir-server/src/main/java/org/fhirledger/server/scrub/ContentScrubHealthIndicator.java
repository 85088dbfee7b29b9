package org.fhirledger.server.scrub;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * "contentScrub" in /actuator/health: objects checked and repaired, full passes, and every object found damaged that
 * could not be repaired (outbox id, CID, condition, reason; no PHI). DOWN while one is unrepaired. Part of the
 * overall health only, not of readiness: FHIR reads come from the database, not the content store.
 */
public class ContentScrubHealthIndicator extends AbstractHealthIndicator {

    /** Details list at most this many damaged objects (the count is always given). */
    private static final int LISTED = 20;

    private final ContentScrubber scrubber;

    public ContentScrubHealthIndicator(ContentScrubber scrubber) {
        super("content scrub health check failed");
        this.scrubber = scrubber;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<Long, ContentScrubber.Damage> damaged = new TreeMap<>(scrubber.unrepaired());
        builder.withDetail("enabled", scrubber.enabled())
                .withDetail("checked", scrubber.checked())
                .withDetail("repaired", scrubber.repaired())
                .withDetail("passes", scrubber.passes())
                .withDetail("unrepaired", damaged.size());
        if (scrubber.lastError() != null) builder.withDetail("lastError", scrubber.lastError());
        Map<String, String> listed = new TreeMap<>();
        damaged.entrySet().stream()
                .limit(LISTED)
                .forEach(e -> listed.put(
                        "outbox " + e.getKey(),
                        e.getValue().cid() + " " + e.getValue().condition().code() + ": "
                                + e.getValue().reason() + " (since "
                                + Instant.ofEpochMilli(e.getValue().at()) + ")"));
        if (!listed.isEmpty()) builder.withDetail("damaged", listed);
        if (damaged.isEmpty()) builder.up();
        else builder.down();
    }
}
