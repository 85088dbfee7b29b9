package org.fhirledger.server.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.Role;

/**
 * Checks a member's client assertion (RFC 7523, SMART Backend Services) against the directory on chain, with no
 * shared identity provider: signed ES256K by the key the directory holds for the member named in {@code iss} =
 * {@code sub}, an active member other than this server, {@code aud} this server's token endpoint, {@code exp}
 * present, not past and not further than the configured lifetime, a {@code jti} not seen before, and a clinician
 * of that member named in {@link MemberAssertions#ON_BEHALF_OF}. Every refusal is a {@link Refused} whose reason
 * names the rule, never a value from the assertion.
 */
final class MemberAssertionCheck {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final int MAX_JTI = 255;

    /** A member's clinician, as the assertion proved. */
    record Accepted(Institution member, String clinician) {}

    /** Why an assertion was refused, as the token endpoint answers it. */
    static final class Refused extends RuntimeException {
        final int status;
        final String issueCode;

        Refused(int status, String issueCode, String reason) {
            super(reason, null, false, false);
            this.status = status;
            this.issueCode = issueCode;
        }
    }

    private final ConsortiumView consortium;
    private final DirectoryLedger roles;
    private final SeenAssertions seen;
    private final MemberAccessProperties settings;
    private final Clock clock;

    MemberAssertionCheck(
            ConsortiumView consortium,
            DirectoryLedger roles,
            SeenAssertions seen,
            MemberAccessProperties settings,
            Clock clock) {
        this.consortium = consortium;
        this.roles = roles;
        this.seen = seen;
        this.settings = settings;
        this.clock = clock;
    }

    /** @param audience this server's token endpoint, as the directory publishes this server's base URL */
    Accepted check(String assertion, String audience) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(assertion);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            throw new Refused(400, "invalid", "The client assertion is not a signed JWT");
        }
        if (!JWSAlgorithm.ES256K.equals(jwt.getHeader().getAlgorithm())) {
            throw unauthenticated("The client assertion must be signed ES256K with the key the directory holds");
        }
        JOSEObjectType type = jwt.getHeader().getType();
        if (type != null && !JOSEObjectType.JWT.equals(type)) {
            // an access token (at+jwt) signed by a member is no client assertion
            throw unauthenticated("The client assertion's typ must be JWT");
        }
        String issuer = claims.getIssuer();
        if (issuer == null || !ADDRESS.matcher(issuer).matches() || !issuer.equals(claims.getSubject())) {
            throw unauthenticated("The client assertion's iss and sub must both be the member's custodian account");
        }
        String custodian = issuer.toLowerCase(Locale.ROOT);
        if (custodian.equals(consortium.self())) {
            throw unauthenticated("This server takes no client assertion signed as itself");
        }
        Institution member = consortium
                .member(custodian)
                .orElseThrow(
                        () -> unauthenticated("The client assertion's issuer is no active member of the consortium"));
        verifySignature(jwt, member);
        checkAudience(claims, audience);
        Instant expires = checkLifetime(claims);
        String jti = claims.getJWTID();
        if (jti == null || jti.isBlank() || jti.length() > MAX_JTI) {
            throw unauthenticated("The client assertion needs a jti (at most " + MAX_JTI + " characters)");
        }
        String clinician = clinician(claims);
        if (!seen.firstUse(custodian, jti, expires.plus(settings.clockSkew()))) {
            throw unauthenticated("This client assertion was used before: every assertion needs a new jti");
        }
        checkClinicianOf(clinician, custodian);
        return new Accepted(member, clinician);
    }

    private static void verifySignature(SignedJWT jwt, Institution member) {
        ECKey key;
        try {
            JWK jwk = JWK.parse(member.authKeyJwk());
            if (!(jwk instanceof ECKey ec)) throw new ParseException("not an EC key", 0);
            key = ec;
        } catch (ParseException e) {
            throw unauthenticated("The member's key in the directory is not a secp256k1 JWK");
        }
        boolean valid;
        try {
            valid = jwt.verify(Secp256k1.verifier(key));
        } catch (JOSEException e) {
            throw unauthenticated("The member's key in the directory is not a secp256k1 JWK");
        }
        if (!valid) {
            throw unauthenticated("The client assertion's signature does not verify with the member's registered key");
        }
    }

    private static void checkAudience(JWTClaimsSet claims, String audience) {
        if (claims.getAudience() == null || !claims.getAudience().contains(audience)) {
            throw unauthenticated("The client assertion's aud must be this server's token endpoint, " + audience);
        }
    }

    private Instant checkLifetime(JWTClaimsSet claims) {
        Instant now = clock.instant();
        Duration skew = settings.clockSkew();
        Date exp = claims.getExpirationTime();
        if (exp == null) throw unauthenticated("The client assertion needs an exp");
        Instant expires = exp.toInstant();
        if (!expires.plus(skew).isAfter(now)) throw unauthenticated("The client assertion has expired");
        Duration max = settings.maxAssertionLifetime();
        boolean tooLong = expires.isAfter(now.plus(max).plus(skew))
                || (claims.getIssueTime() != null
                        && expires.isAfter(claims.getIssueTime().toInstant().plus(max)));
        if (tooLong) {
            throw unauthenticated(
                    "The client assertion lives too long: exp at most " + max.toSeconds() + " s after it is issued");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(now.plus(skew))) {
            throw unauthenticated("The client assertion is not valid yet (nbf)");
        }
        return expires;
    }

    private static String clinician(JWTClaimsSet claims) {
        Object value = claims.getClaim(MemberAssertions.ON_BEHALF_OF);
        if (value == null) {
            throw new Refused(
                    403,
                    "forbidden",
                    "The client assertion names no clinician (" + MemberAssertions.ON_BEHALF_OF
                            + "): a member reads patient data only on behalf of one of its clinicians");
        }
        if (!(value instanceof String s) || !ADDRESS.matcher(s).matches()) {
            throw new Refused(
                    400,
                    "invalid",
                    "The client assertion's " + MemberAssertions.ON_BEHALF_OF + " must be a ledger address");
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /** The clinician belongs to the member on chain: a member acts for its own staff only. */
    private void checkClinicianOf(String clinician, String custodian) {
        Optional<String> institution = roles.institutionOf(clinician);
        if (institution.isEmpty()
                || !institution.get().toLowerCase(Locale.ROOT).equals(custodian)
                || !roles.rolesOf(clinician).contains(Role.CLINICIAN)) {
            throw new Refused(403, "forbidden", "The account acted for is no clinician of that member on chain");
        }
    }

    private static Refused unauthenticated(String reason) {
        return new Refused(401, "login", reason);
    }
}
