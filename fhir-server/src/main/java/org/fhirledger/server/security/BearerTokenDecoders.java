package org.fhirledger.server.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoderInitializationException;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;

/** Which signatures and claims make a bearer token valid, per mode. */
final class BearerTokenDecoders {

    private BearerTokenDecoders() {}

    /** Dev mode: exactly the dev issuer's key, ES256 only; each token's signature checked once. */
    static JwtDecoder dev(DevIssuer issuer, SecurityProperties settings, VerifiedTokens verified) {
        return verified.decoder(devSignature(issuer), validator(DevIssuer.ISSUER, settings, verified.clock()));
    }

    /** As {@link #dev(DevIssuer, SecurityProperties, VerifiedTokens)}, checking every token in full each time. */
    static NimbusJwtDecoder dev(DevIssuer issuer, SecurityProperties settings) {
        NimbusJwtDecoder decoder = devSignature(issuer);
        decoder.setJwtValidator(validator(DevIssuer.ISSUER, settings, Clock.systemUTC()));
        return decoder;
    }

    static NimbusJwtDecoder devSignature(DevIssuer issuer) {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(
                JWSAlgorithm.ES256, new ImmutableJWKSet<>(new JWKSet(issuer.verificationKey()))));
        // Time and issuer are checked by the validators, the same way as in production.
        processor.setJWTClaimsSetVerifier((claims, context) -> {});
        NimbusJwtDecoder decoder = new NimbusJwtDecoder(processor);
        decoder.setJwtValidator(VerifiedTokens.none());
        return decoder;
    }

    /**
     * Production: the IdP's keys from its JWKS, RS256 or ES256. Nothing is fetched at start-up, so the server
     * starts while the IdP is down: the JWKS (and the discovery document, when only the issuer is configured)
     * are fetched on the first token. An unreachable IdP is then a {@link JwtException} (→ 503), not a bad token.
     */
    static JwtDecoder production(SecurityProperties settings, VerifiedTokens verified) {
        return verified.decoder(
                productionSignature(settings), validator(settings.issuerUri(), settings, verified.clock()));
    }

    private static JwtDecoder productionSignature(SecurityProperties settings) {
        if (settings.jwkSetUri() != null) {
            return productionSignature(NimbusJwtDecoder.withJwkSetUri(settings.jwkSetUri()));
        }
        // withIssuerLocation reads the discovery document when built, hence built on first use.
        SupplierJwtDecoder lazy = new SupplierJwtDecoder(
                () -> productionSignature(NimbusJwtDecoder.withIssuerLocation(settings.issuerUri())));
        return token -> {
            try {
                return lazy.decode(token);
            } catch (JwtDecoderInitializationException e) {
                throw new JwtException("Cannot read the OIDC discovery document of " + settings.issuerUri(), e);
            }
        };
    }

    private static NimbusJwtDecoder productionSignature(NimbusJwtDecoder.JwkSetUriJwtDecoderBuilder builder) {
        NimbusJwtDecoder decoder = builder.jwsAlgorithms(algs -> {
                    algs.add(SignatureAlgorithm.RS256);
                    algs.add(SignatureAlgorithm.ES256);
                })
                .build();
        decoder.setJwtValidator(VerifiedTokens.none());
        return decoder;
    }

    static OAuth2TokenValidator<Jwt> validator(String issuer, SecurityProperties settings, Clock clock) {
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        // A token without an expiry would be valid forever once leaked.
        validators.add(new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull));
        JwtTimestampValidator time = new JwtTimestampValidator();
        time.setClock(clock);
        validators.add(time);
        if (issuer != null) {
            validators.add(new JwtIssuerValidator(issuer));
        }
        if (settings.audience() != null) {
            String audience = settings.audience();
            validators.add(new JwtClaimValidator<List<String>>(
                    JwtClaimNames.AUD, aud -> aud != null && aud.contains(audience)));
        }
        validators.add(new CallerClaims(settings.ledgerAddressClaim(), settings.fhirUserClaim()));
        return new DelegatingOAuth2TokenValidator<>(validators);
    }
}
