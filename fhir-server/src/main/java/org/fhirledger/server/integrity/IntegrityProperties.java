package org.fhirledger.server.integrity;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The read-side integrity check, under {@code integrity.*} (only with {@code ledger.enabled=true}). Every key is
 * documented in docs/configuration.md.
 *
 * @param lookupTimeout how long a read waits for the chain to answer for a version not yet known to this replica
 * @param chainPause    after a lookup timed out or failed, how long reads skip the chain (they fall back to the
 *                      outbox and are tagged unverified)
 * @param cacheSize     ledger content hashes kept in memory (a recorded hash never changes)
 */
@ConfigurationProperties("integrity")
public record IntegrityProperties(Duration lookupTimeout, Duration chainPause, Integer cacheSize) {

    public IntegrityProperties {
        lookupTimeout = lookupTimeout == null ? Duration.ofSeconds(2) : lookupTimeout;
        chainPause = chainPause == null ? Duration.ofSeconds(5) : chainPause;
        cacheSize = cacheSize == null ? 200_000 : cacheSize;
        if (lookupTimeout.isNegative() || lookupTimeout.isZero()) {
            throw new IllegalArgumentException("integrity.lookup-timeout must be positive");
        }
        if (chainPause.isNegative()) throw new IllegalArgumentException("integrity.chain-pause must not be negative");
        if (cacheSize < 0) throw new IllegalArgumentException("integrity.cache-size must not be negative");
    }
}
