package org.fhirledger.server.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.web3j.crypto.Keys;

/**
 * The claims that make a signed token a {@link Caller}: {@code sub}, a ledger address, optionally a SMART
 * fhirUser, and scopes. As a validator it refuses a token whose claims are unusable (→ 401, like a bad
 * signature); as a converter it turns a validated token into the caller.
 */
public final class CallerClaims implements OAuth2TokenValidator<Jwt>, Converter<Jwt, AbstractAuthenticationToken> {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    /** SMART fhirUser: a (relative or absolute) reference to one of the resource types SMART allows. */
    public static final Pattern FHIR_USER = Pattern.compile(
            "(?:https?://[^\\s/]+(?:/[^\\s/]+)*/)?(?:Practitioner|PractitionerRole|Patient|RelatedPerson|Person)/[A-Za-z0-9\\-.]{1,64}");

    private static final Pattern PATIENT_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    /**
     * The issuer of the tokens this server gives consortium members' clinicians ({@code exchange} package), followed
     * by this server's custodian account. Only tokens of that issuer, which only the member-token decoder accepts,
     * have their member claims read: another issuer's token cannot claim to act through a member.
     */
    public static final String MEMBER_ISSUER_PREFIX = "urn:fhir-ledger:member-token:";
    /** The member's custodian account, in a member token. */
    public static final String MEMBER = "member";
    /** The member's Organization identifier, in a member token. */
    public static final String MEMBER_ORGANIZATION = "member_organization";

    private final String ledgerAddressClaim;
    private final String fhirUserClaim;

    public CallerClaims(String ledgerAddressClaim, String fhirUserClaim) {
        this.ledgerAddressClaim = ledgerAddressClaim;
        this.fhirUserClaim = fhirUserClaim;
    }

    @Override
    public OAuth2TokenValidatorResult validate(Jwt jwt) {
        try {
            toCaller(jwt);
            return OAuth2TokenValidatorResult.success();
        } catch (IllegalArgumentException e) {
            return OAuth2TokenValidatorResult.failure(
                    new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN, e.getMessage(), null));
        }
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        return new CallerAuthentication(toCaller(jwt));
    }

    /** @throws IllegalArgumentException naming the claim that is missing or malformed */
    public Caller toCaller(Jwt jwt) {
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("The token has no sub claim");
        }
        return new Caller(
                subject,
                ledgerAddress(jwt),
                fhirUser(jwt),
                scopes(jwt.getClaims().get("scope")),
                patient(jwt),
                actingThrough(jwt));
    }

    private static ActingThrough actingThrough(Jwt jwt) {
        Object issuer = jwt.getClaims().get(JwtClaimNames.ISS);
        if (issuer == null || !issuer.toString().startsWith(MEMBER_ISSUER_PREFIX)) return null;
        Object custodian = jwt.getClaims().get(MEMBER);
        Object organization = jwt.getClaims().get(MEMBER_ORGANIZATION);
        if (!(custodian instanceof String c) || !ADDRESS.matcher(c).matches() || !(organization instanceof String o)) {
            throw new IllegalArgumentException("A member token must name the member it was issued to");
        }
        return new ActingThrough(c.toLowerCase(Locale.ROOT), o);
    }

    /** SMART's launch context: the patient a token's patient/ scopes are confined to. */
    private static String patient(Jwt jwt) {
        Object value = jwt.getClaims().get("patient");
        if (value == null) return null;
        if (!(value instanceof String id) || !PATIENT_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("The token's patient claim must be a Patient id");
        }
        return id;
    }

    private String ledgerAddress(Jwt jwt) {
        Object value = jwt.getClaims().get(ledgerAddressClaim);
        if (!(value instanceof String address) || !ADDRESS.matcher(address).matches()) {
            throw new IllegalArgumentException("The token's " + ledgerAddressClaim
                    + " claim must be a ledger address: 0x followed by 40 hex digits");
        }
        String lower = address.toLowerCase(Locale.ROOT);
        // Mixed case means EIP-55 checksummed: a wrong checksum is a mistyped address, not a different caller.
        boolean mixedCase = !address.substring(2).equals(lower.substring(2))
                && !address.substring(2).equals(address.substring(2).toUpperCase(Locale.ROOT));
        if (mixedCase && !Keys.toChecksumAddress(lower).equals(address)) {
            throw new IllegalArgumentException(
                    "The token's " + ledgerAddressClaim + " claim has a wrong EIP-55 checksum");
        }
        return lower;
    }

    private String fhirUser(Jwt jwt) {
        Object value = jwt.getClaims().get(fhirUserClaim);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String ref) || !FHIR_USER.matcher(ref).matches()) {
            throw new IllegalArgumentException(
                    "The token's " + fhirUserClaim
                            + " claim must reference a Practitioner, PractitionerRole, Patient, RelatedPerson or Person, e.g. Practitioner/123");
        }
        return relative(ref);
    }

    /**
     * The user as this server knows them, {@code Type/id}: an absolute fhirUser ({@code https://host/fhir/Practitioner/7})
     * names the same user, and identities on chain are pseudonyms of the relative form.
     */
    public static String relative(String fhirUser) {
        int id = fhirUser.lastIndexOf('/');
        int type = fhirUser.lastIndexOf('/', id - 1);
        return type < 0 ? fhirUser : fhirUser.substring(type + 1);
    }

    /** OAuth2 puts scopes in one space-separated string; some IdPs send a JSON array instead. */
    private static Set<String> scopes(Object value) {
        if (value == null) {
            return Set.of();
        }
        List<String> scopes = new ArrayList<>();
        if (value instanceof String s) {
            for (String part : s.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    scopes.add(part);
                }
            }
        } else if (value instanceof Collection<?> c) {
            for (Object o : c) {
                if (!(o instanceof String s) || s.isBlank()) {
                    throw new IllegalArgumentException("The token's scope array must hold only non-empty strings");
                }
                scopes.add(s);
            }
        } else {
            throw new IllegalArgumentException("The token's scope claim must be a string or an array of strings");
        }
        return Set.copyOf(scopes);
    }
}
