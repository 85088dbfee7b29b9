package org.fhirledger.server.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/** Which signatures and claims make a bearer token valid, per mode. */
final class BearerTokenDecoders {

	private BearerTokenDecoders() {}

	/** Dev mode: exactly the dev issuer's key, ES256 only. */
	static NimbusJwtDecoder dev(DevIssuer issuer, SecurityProperties settings) {
		DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
		processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256,
				new ImmutableJWKSet<>(new JWKSet(issuer.verificationKey()))));
		// Time and issuer are checked by the validators below, the same way as in production.
		processor.setJWTClaimsSetVerifier((claims, context) -> {});
		NimbusJwtDecoder decoder = new NimbusJwtDecoder(processor);
		decoder.setJwtValidator(validator(DevIssuer.ISSUER, settings));
		return decoder;
	}

	/**
	 * Production: the IdP's keys from its JWKS (fetched when first needed and cached, so start-up does not depend
	 * on the IdP being up), RS256 or ES256.
	 */
	static NimbusJwtDecoder production(SecurityProperties settings) {
		NimbusJwtDecoder.JwkSetUriJwtDecoderBuilder builder = settings.jwkSetUri() != null
				? NimbusJwtDecoder.withJwkSetUri(settings.jwkSetUri())
				: NimbusJwtDecoder.withIssuerLocation(settings.issuerUri());
		NimbusJwtDecoder decoder = builder
				.jwsAlgorithms(algs -> {
					algs.add(SignatureAlgorithm.RS256);
					algs.add(SignatureAlgorithm.ES256);
				})
				.build();
		decoder.setJwtValidator(validator(settings.issuerUri(), settings));
		return decoder;
	}

	private static OAuth2TokenValidator<Jwt> validator(String issuer, SecurityProperties settings) {
		List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
		// A token without an expiry would be valid forever once leaked.
		validators.add(new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull));
		validators.add(new JwtTimestampValidator());
		if (issuer != null) {
			validators.add(new JwtIssuerValidator(issuer));
		}
		if (settings.audience() != null) {
			String audience = settings.audience();
			validators.add(new JwtClaimValidator<List<String>>(JwtClaimNames.AUD, aud -> aud != null && aud.contains(audience)));
		}
		validators.add(new CallerClaims(settings.ledgerAddressClaim(), settings.fhirUserClaim()));
		return new DelegatingOAuth2TokenValidator<>(validators);
	}
}
