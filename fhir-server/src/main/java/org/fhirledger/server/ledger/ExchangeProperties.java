package org.fhirledger.server.ledger;

import java.nio.file.Path;
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
 * @param consortiumKeyFile the consortium pseudonym key (hex, owner-only), the same file at every member; dev mode
 *                          creates {@code ${data-dir}/keys/consortium-key.hex} when absent
 * @param consortiumKeyVersion the version of that key, part of every consortium pseudonym's input
 * @param patientIdentifierSystem the identifier system of the shared (national) patient identifier
 * @param keyReleaseAddress the consortium's KeyRelease contract; empty: the one named in the contracts file (dev mode
 *                          deploys it over the directory on the first start)
 * @param encryptionKeyFile this member's HPKE key pair (Tink JSON keyset, owner-only) that released data keys are
 *                          sealed to; default {@code ${data-dir}/keys/member-encryption-key.json}, created in dev mode
 */
@ConfigurationProperties("exchange")
public record ExchangeProperties(
        String directoryAddress,
        String organization,
        String fhirBaseUrl,
        Duration cacheTtl,
        Path consortiumKeyFile,
        Integer consortiumKeyVersion,
        String patientIdentifierSystem,
        String keyReleaseAddress,
        Path encryptionKeyFile) {

    public ExchangeProperties {
        directoryAddress = blankToNull(directoryAddress);
        organization = blankToNull(organization);
        fhirBaseUrl = blankToNull(fhirBaseUrl);
        keyReleaseAddress = blankToNull(keyReleaseAddress);
        cacheTtl = cacheTtl == null ? Duration.ofSeconds(10) : cacheTtl;
        consortiumKeyVersion = consortiumKeyVersion == null ? 1 : consortiumKeyVersion;
        patientIdentifierSystem = blankToNull(patientIdentifierSystem) == null
                ? "urn:oid:2.16.840.1.113883.4.1"
                : patientIdentifierSystem.trim();
        if (consortiumKeyVersion < 1) throw new IllegalArgumentException("exchange.consortium-key-version starts at 1");
        if (cacheTtl.isNegative()) throw new IllegalArgumentException("exchange.cache-ttl must not be negative");
        if (directoryAddress != null && !directoryAddress.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("exchange.directory-address must be a ledger address (0x and 40 hex)");
        }
        if (keyReleaseAddress != null && !keyReleaseAddress.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("exchange.key-release-address must be a ledger address (0x and 40 hex)");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
