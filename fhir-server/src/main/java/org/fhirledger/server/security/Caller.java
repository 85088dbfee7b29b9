package org.fhirledger.server.security;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who is calling, as proven by a valid bearer token. Authorisation (roles, consent) is decided later from the
 * chain, keyed by {@link #ledgerAddress()}; the token only says who the caller is.
 *
 * @param subject       the token's {@code sub}
 * @param ledgerAddress the caller's Ethereum address, {@code 0x} + 40 lower-case hex digits
 * @param fhirUser      SMART fhirUser as a relative reference (e.g. {@code Practitioner/123}, also for a token that
 *                      gives it as an absolute URL), or null when the token has none
 * @param scopes        the token's scopes, possibly empty
 * @param patient       SMART launch context: the id of the patient the token's {@code patient/} scopes are confined
 *                      to (claim {@code patient}), or null
 * @param actingThrough the consortium member the caller (another institution's clinician) acts through, or null
 *                      for this institution's own callers
 */
public record Caller(
        String subject,
        String ledgerAddress,
        String fhirUser,
        Set<String> scopes,
        String patient,
        ActingThrough actingThrough) {

    public Caller(String subject, String ledgerAddress, String fhirUser, Set<String> scopes, String patient) {
        this(subject, ledgerAddress, fhirUser, scopes, patient, null);
    }

    public Caller(String subject, String ledgerAddress, String fhirUser, Set<String> scopes) {
        this(subject, ledgerAddress, fhirUser, scopes, null, null);
    }

    public Caller {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(ledgerAddress, "ledgerAddress");
        scopes = Set.copyOf(scopes);
    }

    public Optional<String> fhirUserReference() {
        return Optional.ofNullable(fhirUser);
    }

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }
}
