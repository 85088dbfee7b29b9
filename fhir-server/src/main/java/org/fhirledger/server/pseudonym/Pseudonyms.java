package org.fhirledger.server.pseudonym;

import java.util.Locale;
import java.util.regex.Pattern;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;

/**
 * The keyed pseudonyms the server puts on chain instead of identities: of a resource ("Patient/123", the ledger
 * key of its versions), of a patient (the key of its consents and of its record and access entries) and of a user
 * ("Practitioner/7", the identity an account is bound to in AccessRegistry). One secret for all, so the pseudonym
 * of "Patient/123" as a resource equals its pseudonym as a patient and as a user.
 */
public final class Pseudonyms {

    private static final Pattern REFERENCE = Pattern.compile("[A-Z][A-Za-z]+/[A-Za-z0-9\\-.]{1,64}");

    private final Pseudonymizer pseudonymizer;

    public Pseudonyms(Pseudonymizer pseudonymizer) {
        this.pseudonymizer = pseudonymizer;
    }

    /** Pseudonym of a relative reference {@code Type/id} (no version, no base URL). */
    public Bytes32 of(String reference) {
        if (reference == null || !REFERENCE.matcher(reference).matches()) {
            throw new IllegalArgumentException("not a relative Type/id reference: " + reference);
        }
        return Bytes32.of(pseudonymizer.pseudonym(reference));
    }

    public Bytes32 of(String resourceType, String id) {
        return of(resourceType + "/" + id);
    }

    /**
     * Keyed hash of a search query, for its AuditEvent: HMAC-SHA256(secret, UTF-8 of {@code "query:" + query}) as
     * lower-case hex. Whoever holds the secret can confirm which query it was; nobody else can guess it, however few
     * the possible values (a birth date). The prefix keeps it apart from every pseudonym.
     */
    public String queryHash(String query) {
        return pseudonymizer.pseudonymHex("query:" + query);
    }

    /** The pseudonym as {@code 0x}-hex, for logs and AuditEvent details (never the identity itself). */
    public String hex(String reference) {
        return of(reference).toHex().toLowerCase(Locale.ROOT);
    }
}
