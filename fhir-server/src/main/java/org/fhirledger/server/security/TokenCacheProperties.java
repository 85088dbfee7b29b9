package org.fhirledger.server.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The cache of verified bearer tokens, under {@code security.token-cache.*} (every key in docs/configuration.md).
 *
 * @param maxSize how many verified tokens each trusted issuer's decoder keeps; 0 turns the cache off
 * @param ttl     the longest a token's verified signature is trusted without checking it again; never beyond the
 *                token's own {@code exp}. Short, because a key the issuer withdraws still counts that long
 */
@ConfigurationProperties("security.token-cache")
public record TokenCacheProperties(Integer maxSize, Duration ttl) {

    static final Duration MAX_TTL = Duration.ofMinutes(15);

    public TokenCacheProperties {
        maxSize = maxSize == null ? 10_000 : maxSize;
        ttl = ttl == null ? Duration.ofMinutes(2) : ttl;
        if (maxSize < 0) throw new IllegalArgumentException("security.token-cache.max-size must not be negative");
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException(
                    "security.token-cache.ttl must be positive and at most " + MAX_TTL.toMinutes() + "m");
        }
    }
}
