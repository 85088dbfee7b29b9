package org.fhirledger.server.smart;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * SMART on FHIR settings for browser apps, under {@code smart.*}.
 *
 * @param allowedOrigins origins (patterns as Spring's CORS support reads them, {@code http://localhost:[*]}) whose
 *                       pages may call {@code /fhir} and the OAuth endpoints; default: any localhost origin
 * @param corsMaxAge     how long a browser may cache a preflight answer
 */
@ConfigurationProperties("smart")
public record SmartProperties(List<String> allowedOrigins, Duration corsMaxAge) {

    static final List<String> LOCALHOST = List.of("http://localhost:[*]", "http://127.0.0.1:[*]", "http://[::1]:[*]");

    public SmartProperties {
        allowedOrigins = allowedOrigins == null
                ? LOCALHOST
                : allowedOrigins.stream()
                        .map(String::trim)
                        .filter(o -> !o.isEmpty())
                        .toList();
        if (allowedOrigins.contains("*")) {
            // a wildcard would let any web page drive a logged-in user's browser against the server
            throw new IllegalArgumentException("smart.allowed-origins: list the origins of the apps, not *");
        }
        corsMaxAge = corsMaxAge == null ? Duration.ofMinutes(30) : corsMaxAge;
    }
}
