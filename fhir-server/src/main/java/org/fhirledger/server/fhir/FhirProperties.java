package org.fhirledger.server.fhir;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * FHIR REST and storage behaviour, under {@code fhir.*}. Documented in docs/configuration.md.
 *
 * @param serverAddress base URL written into responses (links, Location); empty = derived from the request
 * @param defaultPageSize search page size when the client sends no {@code _count}
 * @param maxPageSize largest {@code _count} honoured
 * @param enforceReferentialIntegrity refuse writes whose references point at nothing, and deletes that
 *     would leave dangling references
 * @param allowExternalReferences accept absolute references to other servers
 * @param expungeEnabled allow {@code $expunge} (irreversible physical deletion)
 * @param searchResultReuse how long an identical search or history query may be answered from the previous
 *     result instead of the database; 0 (default) always queries, so a write is visible to the next read
 */
@ConfigurationProperties("fhir")
public record FhirProperties(
        String serverAddress,
        Integer defaultPageSize,
        Integer maxPageSize,
        Boolean enforceReferentialIntegrity,
        Boolean allowExternalReferences,
        Boolean expungeEnabled,
        java.time.Duration searchResultReuse) {

    public FhirProperties {
        serverAddress = serverAddress == null ? "" : serverAddress.trim();
        defaultPageSize = defaultPageSize == null ? 20 : defaultPageSize;
        maxPageSize = maxPageSize == null ? 200 : maxPageSize;
        enforceReferentialIntegrity = enforceReferentialIntegrity == null || enforceReferentialIntegrity;
        allowExternalReferences = allowExternalReferences != null && allowExternalReferences;
        expungeEnabled = expungeEnabled != null && expungeEnabled;
        searchResultReuse = searchResultReuse == null ? java.time.Duration.ZERO : searchResultReuse;
        if (searchResultReuse.isNegative()) {
            throw new IllegalArgumentException("fhir.search-result-reuse must not be negative");
        }
        if (defaultPageSize < 1 || maxPageSize < defaultPageSize) {
            throw new IllegalArgumentException("fhir.default-page-size must be >= 1 and <= fhir.max-page-size, got "
                    + defaultPageSize + " / " + maxPageSize);
        }
    }
}
