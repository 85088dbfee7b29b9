package org.fhirledger.server.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.security.AdditionalTokenIssuer;
import org.fhirledger.server.security.CallerClaims;
import org.fhirledger.server.security.SecurityProperties;
import org.fhirledger.server.security.VerifiedTokens;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.web3j.crypto.Credentials;

/**
 * The access tokens this server gives a member's clinician (RFC 9068 {@code at+jwt}): signed ES256K with this
 * server's ledger key, which every replica of this institution holds, so any of them accepts them; {@code iss}
 * {@link CallerClaims#MEMBER_ISSUER_PREFIX} + this server's custodian account, {@code sub} and the ledger-address
 * claim the clinician's account, the member in {@link CallerClaims#MEMBER} and
 * {@link CallerClaims#MEMBER_ORGANIZATION}, and read-only scopes. The typ keeps them apart from client assertions
 * signed by the same key. A token is refused once its member has left the directory.
 */
final class MemberAccessTokens {

    /** Retrieval between members reads; it never writes at another institution. */
    static final String SCOPE = "user/*.rs";

    static final JOSEObjectType ACCESS_TOKEN = new JOSEObjectType("at+jwt");

    private final ECKey key;
    private final String issuer;
    private final SecurityProperties security;
    private final MemberAccessProperties settings;
    private final Clock clock;

    MemberAccessTokens(
            Credentials ledgerKey, SecurityProperties security, MemberAccessProperties settings, Clock clock) {
        this.key = InstitutionKey.signingKey(ledgerKey);
        this.issuer = CallerClaims.MEMBER_ISSUER_PREFIX + ledgerKey.getAddress().toLowerCase(Locale.ROOT);
        this.security = security;
        this.settings = settings;
        this.clock = clock;
    }

    String issuer() {
        return issuer;
    }

    /** A token for the member's clinician; its lifetime is {@link #ttlSeconds()}. */
    String issue(Institution member, String clinician) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(issuer)
                .subject(clinician)
                .claim(security.ledgerAddressClaim(), clinician)
                .claim(CallerClaims.MEMBER, member.custodian().toLowerCase(Locale.ROOT))
                .claim(CallerClaims.MEMBER_ORGANIZATION, member.organization())
                .claim("client_id", member.custodian().toLowerCase(Locale.ROOT))
                .claim("scope", SCOPE)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(settings.tokenTtl())))
                .jwtID(UUID.randomUUID().toString())
                .build();
        try {
            return Secp256k1.sign(key, ACCESS_TOKEN, claims);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a member access token with the ledger key", e);
        }
    }

    long ttlSeconds() {
        return settings.tokenTtl().toSeconds();
    }

    /**
     * What the resource server trusts for this issuer: this key, this typ, and a member still in the directory. The
     * signature is checked once per token ({@link VerifiedTokens}); the directory is asked on every use.
     */
    AdditionalTokenIssuer trusted(Supplier<ConsortiumView> consortium, VerifiedTokens verified) {
        ECPublicKey publicKey;
        try {
            publicKey = Secp256k1.publicKey(key.toPublicJWK());
        } catch (JOSEException e) {
            throw new IllegalStateException("the ledger key is no secp256k1 key", e);
        }
        List<Key> keys = List.of(publicKey);
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(ACCESS_TOKEN));
        processor.setJWSKeySelector(
                (header, context) -> JWSAlgorithm.ES256K.equals(header.getAlgorithm()) ? keys : List.<Key>of());
        DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();
        verifiers.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        processor.setJWSVerifierFactory(verifiers);
        processor.setJWTClaimsSetVerifier((claims, context) -> {}); // the validators below check the claims
        NimbusJwtDecoder signature = new NimbusJwtDecoder(processor);
        signature.setJwtValidator(VerifiedTokens.none());
        JwtTimestampValidator time = new JwtTimestampValidator();
        time.setClock(verified.clock());
        return new AdditionalTokenIssuer(
                issuer,
                verified.decoder(
                        signature,
                        new DelegatingOAuth2TokenValidator<>(List.<OAuth2TokenValidator<Jwt>>of(
                                new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull),
                                time,
                                new JwtIssuerValidator(issuer),
                                new JwtClaimValidator<List<String>>(
                                        JwtClaimNames.AUD, aud -> aud != null && aud.contains(issuer)),
                                stillAMember(consortium),
                                new CallerClaims(security.ledgerAddressClaim(), security.fhirUserClaim())))));
    }

    private static OAuth2TokenValidator<Jwt> stillAMember(Supplier<ConsortiumView> consortium) {
        return jwt -> {
            Object member = jwt.getClaims().get(CallerClaims.MEMBER);
            ConsortiumView view = consortium.get();
            try {
                if (view != null && member instanceof String m && view.member(m).isPresent()) {
                    return OAuth2TokenValidatorResult.success();
                }
            } catch (LedgerException e) {
                // → 503: the token may be good, the directory cannot be read now
                throw new JwtException("The consortium directory cannot be read to check the member", e);
            }
            return OAuth2TokenValidatorResult.failure(new OAuth2Error(
                    OAuth2ErrorCodes.INVALID_TOKEN, "the member this token was issued to is no longer a member", null));
        };
    }
}
