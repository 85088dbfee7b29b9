package org.fhirledger.server.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Limits on incoming requests, under {@code request-limits.*}.
 *
 * @param maxBodySize largest request body accepted on the FHIR API (default 10MB); larger → 413
 */
@ConfigurationProperties("request-limits")
public record RequestLimitsProperties(DataSize maxBodySize) {

    public RequestLimitsProperties {
        maxBodySize = maxBodySize == null ? DataSize.ofMegabytes(10) : maxBodySize;
        if (maxBodySize.toBytes() < 1 || maxBodySize.toBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("request-limits.max-body-size out of range: " + maxBodySize);
        }
    }
}
