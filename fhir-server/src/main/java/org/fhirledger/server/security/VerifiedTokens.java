package org.fhirledger.server.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;

/**
 * Checks a bearer token's signature once, not on every request: a client sends the same token until it expires,
 * and the signature check (ECDSA) was the largest part of a read's cost. The verified token is kept under the
 * SHA-256 of the whole compact token, so a token that differs in any byte (another signature, a changed claim)
 * is checked afresh. An entry lasts until the token's {@code exp} or {@link TokenCacheProperties#ttl()}, whichever
 * comes first. Only the signature (and the parsing) is cached: every claim check (expiry and not-before included,
 * and whatever reads state, such as a member still being in the consortium directory) runs on every use, and a
 * token is kept only once it passed them all.
 */
public final class VerifiedTokens {

    private final TokenCacheProperties settings;
    private final Clock clock;

    public VerifiedTokens(TokenCacheProperties settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * A decoder that verifies with {@code signatureCheck} the first time it sees a token and validates with
     * {@code everyUse} every time. Each decoder has its own cache, so a token one issuer's decoder verified is
     * never taken as verified by another.
     *
     * @param signatureCheck parses and checks the signature; its own claim validation may be {@link #none()}
     * @param everyUse       the claim checks, expiry included: none is skipped for a cached token
     */
    public JwtDecoder decoder(JwtDecoder signatureCheck, OAuth2TokenValidator<Jwt> everyUse) {
        if (settings.maxSize() == 0) return token -> validated(signatureCheck.decode(token), everyUse);
        Cache<ByteBuffer, Verified> cache = Caffeine.newBuilder()
                .maximumSize(settings.maxSize())
                .expireAfterWrite(settings.ttl()) // frees memory; whether an entry still counts is decided below
                .build();
        return token -> {
            ByteBuffer key = sha256(token);
            Instant now = clock.instant();
            Verified cached = cache.getIfPresent(key);
            if (cached != null && now.isBefore(cached.notAfter())) return validated(cached.jwt(), everyUse);
            Jwt jwt = validated(signatureCheck.decode(token), everyUse);
            Instant notAfter = now.plus(settings.ttl());
            if (jwt.getExpiresAt() != null && jwt.getExpiresAt().isBefore(notAfter)) notAfter = jwt.getExpiresAt();
            if (now.isBefore(notAfter)) cache.put(key, new Verified(jwt, notAfter));
            return jwt;
        };
    }

    /** For a {@code signatureCheck} decoder: no claim checks there, {@link #decoder}'s {@code everyUse} has them. */
    public static OAuth2TokenValidator<Jwt> none() {
        return jwt -> OAuth2TokenValidatorResult.success();
    }

    private record Verified(Jwt jwt, Instant notAfter) {}

    /** As NimbusJwtDecoder refuses a token that fails its validator, so that callers see the same exception. */
    private static Jwt validated(Jwt jwt, OAuth2TokenValidator<Jwt> validator) {
        OAuth2TokenValidatorResult result = validator.validate(jwt);
        if (!result.hasErrors()) return jwt;
        Collection<OAuth2Error> errors = result.getErrors();
        String message = errors.stream()
                .map(OAuth2Error::getDescription)
                .filter(d -> d != null && !d.isEmpty())
                .findFirst()
                .map(d -> "An error occurred while attempting to decode the Jwt: " + d)
                .orElse("Unable to validate Jwt");
        throw new JwtValidationException(message, errors);
    }

    private static ByteBuffer sha256(String token) {
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new JwtException("SHA-256 is not available", e); // every Java runtime has it
        }
    }
}
