package org.fhirledger.server.scrub;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The background content scrub, under {@code content-scrub.*} (docs/configuration.md): every {@code interval} it
 * reads {@code objects-per-interval} stored envelopes back and checks them against their CIDs.
 *
 * @param enabled            off switch of the background scrub ({@code $verify} still checks the version it answers for)
 * @param interval           pause between rounds
 * @param objectsPerInterval objects checked per round (rate = objects-per-interval / interval)
 * @param repair             re-put a damaged or missing object from the envelope the outbox keeps
 */
@ConfigurationProperties("content-scrub")
public record ContentScrubProperties(Boolean enabled, Duration interval, Integer objectsPerInterval, Boolean repair) {

    public ContentScrubProperties {
        enabled = enabled == null || enabled;
        interval = interval == null ? Duration.ofSeconds(1) : interval;
        objectsPerInterval = objectsPerInterval == null ? 10 : objectsPerInterval;
        repair = repair == null || repair;
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("content-scrub.interval must be positive");
        }
        if (objectsPerInterval < 1)
            throw new IllegalArgumentException("content-scrub.objects-per-interval must be at least 1");
    }
}
