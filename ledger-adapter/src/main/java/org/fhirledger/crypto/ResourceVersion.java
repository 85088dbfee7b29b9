package org.fhirledger.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The identity of one stored FHIR resource version. Its {@link #associatedData()} is bound to the ciphertext, so
 * ciphertext moved to another resource or version no longer decrypts.
 */
public record ResourceVersion(String resourceType, String id, String versionId) {
    // FHIR: type is a name, id is [A-Za-z0-9\-\.]{1,64}; version ids follow the id rule.
    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{0,63}");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    public ResourceVersion {
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(versionId, "versionId");
        if (!TYPE.matcher(resourceType).matches()) {
            throw new IllegalArgumentException("not a FHIR resource type: '" + resourceType + "'");
        }
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a FHIR id: '" + id + "'");
        }
        if (!ID.matcher(versionId).matches()) {
            throw new IllegalArgumentException("not a FHIR version id: '" + versionId + "'");
        }
    }

    /** Parses "Type/id/_history/version". */
    public static ResourceVersion parse(String reference) {
        String[] parts = reference.split("/", -1);
        if (parts.length != 4 || !"_history".equals(parts[2])) {
            throw new IllegalArgumentException("expected Type/id/_history/version: '" + reference + "'");
        }
        return new ResourceVersion(parts[0], parts[1], parts[3]);
    }

    /** "Patient/123/_history/2": unambiguous because none of the parts may contain '/'. */
    @Override
    public String toString() {
        return resourceType + "/" + id + "/_history/" + versionId;
    }

    public byte[] associatedData() {
        return toString().getBytes(StandardCharsets.UTF_8);
    }
}
