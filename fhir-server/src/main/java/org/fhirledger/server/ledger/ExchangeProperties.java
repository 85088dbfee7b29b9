package org.fhirledger.server.ledger;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * This institution in the consortium, under {@code exchange.*} (docs/exchange.md; every key in
 * docs/configuration.md).
 *
 * @param directoryAddress the consortium's InstitutionDirectory contract; empty: the one named in the contracts file
 *                         (dev mode deploys it on the first start, with this server as founding member)
 * @param organization     this institution's Organization business identifier, as the directory holds it (dev
 *                         default: {@code urn:fhir-ledger:dev:<custodian account>})
 * @param fhirBaseUrl      this server's FHIR base URL as other members reach it (dev default:
 *                         {@code http://localhost:<server.port>/fhir})
 * @param cacheTtl         how long the server's copy of the directory is used before it is read again
 */
@ConfigurationProperties("exchange")
public record ExchangeProperties(String directoryAddress, String organization, String fhirBaseUrl, Duration cacheTtl) {

    public ExchangeProperties {
        directoryAddress = blankToNull(directoryAddress);
        organization = blankToNull(organization);
        fhirBaseUrl = blankToNull(fhirBaseUrl);
        cacheTtl = cacheTtl == null ? Duration.ofSeconds(10) : cacheTtl;
        if (cacheTtl.isNegative()) throw new IllegalArgumentException("exchange.cache-ttl must not be negative");
        if (directoryAddress != null && !directoryAddress.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("exchange.directory-address must be a ledger address (0x and 40 hex)");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
