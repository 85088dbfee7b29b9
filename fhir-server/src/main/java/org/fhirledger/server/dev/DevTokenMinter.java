package org.fhirledger.server.dev;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.CallerClaims;
import org.fhirledger.server.security.DevIssuer;
import org.fhirledger.server.security.SecurityProperties;

/** Signs dev tokens with the dev issuer key, in the shape the server expects from any IdP. */
public final class DevTokenMinter {

    private final DevIssuer issuer;
    private final SecurityProperties settings;

    public DevTokenMinter(DevIssuer issuer, SecurityProperties settings) {
        this.issuer = issuer;
        this.settings = settings;
    }

    public record Minted(String token, String subject, String ledgerAddress, Instant expiresAt) {}

    /** The scopes a dev token has unless asked otherwise: what the role may do (the chain still decides that). */
    public static String defaultScope(String fhirUser) {
        return (fhirUser == null ? "openid" : "openid fhirUser") + " user/*.cruds";
    }

    public Minted mint(Role role, String fhirUser, Duration ttl, Instant now) {
        return mint(role, fhirUser, null, null, ttl, now);
    }

    /**
     * @param scope   space-separated SMART scopes, or null for {@link #defaultScope}
     * @param patient the SMART launch context (the patient patient/ scopes are confined to), or null
     */
    public Minted mint(Role role, String fhirUser, String scope, String patient, Duration ttl, Instant now) {
        if (fhirUser != null && !CallerClaims.FHIR_USER.matcher(fhirUser).matches()) {
            throw new IllegalArgumentException("--fhir-user must reference a Practitioner, PractitionerRole, Patient, "
                    + "RelatedPerson or Person, e.g. Practitioner/123 (got '" + fhirUser + "')");
        }
        String address = DevLedgerKeys.address(issuer.addressSecret(), role, fhirUser);
        String subject =
                "dev:" + role.name().toLowerCase(java.util.Locale.ROOT) + (fhirUser == null ? "" : ":" + fhirUser);
        Instant expiresAt = now.plus(ttl);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(DevIssuer.ISSUER)
                .subject(subject)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(expiresAt))
                .jwtID(UUID.randomUUID().toString())
                .claim(settings.ledgerAddressClaim(), address)
                // The role is what the caller asks to act as; the chain decides whether that address holds it.
                .claim("role", role.name())
                .claim("scope", scope == null || scope.isBlank() ? defaultScope(fhirUser) : scope.trim());
        if (patient != null) {
            claims.claim("patient", patient);
        }
        if (fhirUser != null) {
            claims.claim(settings.fhirUserClaim(), fhirUser);
        }
        if (settings.audience() != null) {
            claims.audience(settings.audience());
        }
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .type(JOSEObjectType.JWT)
                        .keyID(issuer.signingKey().getKeyID())
                        .build(),
                claims.build());
        try {
            jwt.sign(new ECDSASigner(issuer.signingKey()));
        } catch (JOSEException e) {
            throw new IllegalStateException("Cannot sign the dev token", e);
        }
        return new Minted(jwt.serialize(), subject, address, expiresAt);
    }
}
