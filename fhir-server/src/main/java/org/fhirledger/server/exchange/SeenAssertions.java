package org.fhirledger.server.exchange;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code jti} of every client assertion accepted, per member, until the assertion expires: one used again is a
 * replay. In memory: an assertion lives minutes, so a restart forgets only assertions about to expire, but replicas
 * behind one load balancer do not share it (docs/exchange.md, limits).
 */
final class SeenAssertions {

    /** Expired entries are swept when the map grows past this. */
    private static final int SWEEP_ABOVE = 10_000;

    private final ConcurrentHashMap<String, Instant> seen = new ConcurrentHashMap<>();
    private final Clock clock;

    SeenAssertions(Clock clock) {
        this.clock = clock;
    }

    /** Whether this is the first use of the member's jti (then it is remembered until expiresAt). */
    boolean firstUse(String member, String jti, Instant expiresAt) {
        Instant now = clock.instant();
        if (seen.size() > SWEEP_ABOVE) seen.values().removeIf(until -> until.isBefore(now));
        String key = member + ' ' + jti;
        Instant previous = seen.putIfAbsent(key, expiresAt);
        if (previous == null) return true;
        // an expired entry not yet swept: the assertion it stood for can no longer be presented anyway
        return previous.isBefore(now) && seen.replace(key, previous, expiresAt);
    }
}
