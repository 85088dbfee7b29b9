package org.fhirledger.server.exchange;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How this server fetches a patient's records from another member, under {@code exchange.retrieval.*}
 * (docs/exchange.md, retrieval at B; every key in docs/configuration.md).
 *
 * @param connectTimeout    how long a connection to the other member's server may take
 * @param requestTimeout    how long one request to it (token, search page) may take
 * @param assertionLifetime how long this server's client assertions are valid (members refuse more than five minutes)
 * @param maxPages          the most search pages followed per resource type (a larger record is cut, and says so)
 */
@ConfigurationProperties("exchange.retrieval")
public record RetrievalProperties(
        Duration connectTimeout, Duration requestTimeout, Duration assertionLifetime, Integer maxPages) {

    public RetrievalProperties {
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(30) : requestTimeout;
        assertionLifetime = assertionLifetime == null ? Duration.ofMinutes(2) : assertionLifetime;
        maxPages = maxPages == null ? 20 : maxPages;
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("exchange.retrieval.connect-timeout must be positive");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("exchange.retrieval.request-timeout must be positive");
        }
        if (assertionLifetime.isNegative()
                || assertionLifetime.isZero()
                || assertionLifetime.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("exchange.retrieval.assertion-lifetime must be positive and at most 5m");
        }
        if (maxPages < 1) throw new IllegalArgumentException("exchange.retrieval.max-pages must be at least 1");
    }
}
