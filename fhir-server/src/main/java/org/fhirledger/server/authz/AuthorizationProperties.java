package org.fhirledger.server.authz;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code authorization.*}: who may do what, decided from the chain (roles in AccessRegistry, consents in
 * ConsentRegistry).
 *
 * @param enabled                  off only for benchmarks of plain HAPI: then there is no access control at all
 * @param cacheTtl                 how long a role or consent read from the chain is used without asking again
 *                                 (chain events invalidate it sooner, within the ledger's event poll interval)
 * @param failClosed               when the chain cannot be reached and a cached answer is older than cache-ttl: deny
 *                                 (503) if true, else keep using the stale answer
 * @param breakGlassDuration       how long a clinician's break-glass window on one patient stays open
 * @param creatorConsentDuration   the consent a clinician gets on a patient they create (a Consent resource the
 *                                 patient can see and revoke); zero: none
 * @param retryAfter               the Retry-After of a 503 when the chain cannot be reached (callers should not come
 *                                 back sooner than the ledger's probe could see it back)
 * @param ownershipCacheSize       how many stored versions' pointers at patients (whose data a version is, from its
 *                                 own content) are kept; 0: worked out from the content on every request
 */
@ConfigurationProperties("authorization")
public record AuthorizationProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("2m") Duration cacheTtl,
        @DefaultValue("true") boolean failClosed,
        @DefaultValue("15m") Duration breakGlassDuration,
        @DefaultValue("365d") Duration creatorConsentDuration,
        @DefaultValue("5s") Duration retryAfter,
        @DefaultValue("10000") int ownershipCacheSize) {

    public AuthorizationProperties {
        if (cacheTtl.isNegative()) throw new IllegalArgumentException("authorization.cache-ttl must not be negative");
        if (breakGlassDuration.isNegative() || breakGlassDuration.isZero()) {
            throw new IllegalArgumentException("authorization.break-glass-duration must be positive");
        }
        if (retryAfter.isNegative())
            throw new IllegalArgumentException("authorization.retry-after must not be negative");
        if (ownershipCacheSize < 0) {
            throw new IllegalArgumentException("authorization.ownership-cache-size must not be negative");
        }
        if (creatorConsentDuration.isNegative()) {
            throw new IllegalArgumentException("authorization.creator-consent-duration must not be negative");
        }
    }
}
