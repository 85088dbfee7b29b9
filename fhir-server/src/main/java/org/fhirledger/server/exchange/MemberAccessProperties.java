package org.fhirledger.server.exchange;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How other members' servers obtain tokens here, under {@code exchange.member-access.*} (docs/exchange.md; every key
 * in docs/configuration.md).
 *
 * @param maxAssertionLifetime the longest a client assertion may be valid ({@code exp} after now, and after its
 *                             {@code iat}); SMART Backend Services say five minutes
 * @param tokenTtl             lifetime of the access tokens issued to members (at most {@link #MAX_TOKEN_TTL})
 * @param clockSkew            how far the members' clocks may be off this server's when expiry is checked
 */
@ConfigurationProperties("exchange.member-access")
public record MemberAccessProperties(Duration maxAssertionLifetime, Duration tokenTtl, Duration clockSkew) {

    static final Duration MAX_TOKEN_TTL = Duration.ofMinutes(15);

    public MemberAccessProperties {
        maxAssertionLifetime = maxAssertionLifetime == null ? Duration.ofMinutes(5) : maxAssertionLifetime;
        tokenTtl = tokenTtl == null ? Duration.ofMinutes(5) : tokenTtl;
        clockSkew = clockSkew == null ? Duration.ofSeconds(30) : clockSkew;
        if (maxAssertionLifetime.isNegative() || maxAssertionLifetime.isZero()) {
            throw new IllegalArgumentException("exchange.member-access.max-assertion-lifetime must be positive");
        }
        if (tokenTtl.isNegative() || tokenTtl.isZero() || tokenTtl.compareTo(MAX_TOKEN_TTL) > 0) {
            throw new IllegalArgumentException(
                    "exchange.member-access.token-ttl must be positive and at most " + MAX_TOKEN_TTL.toMinutes() + "m");
        }
        if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(2)) > 0) {
            throw new IllegalArgumentException("exchange.member-access.clock-skew must be between 0 and 2m");
        }
    }
}
