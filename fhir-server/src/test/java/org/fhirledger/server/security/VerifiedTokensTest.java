package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.server.testing.MovableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * The dev issuer's real key and the server's own decoders ({@link BearerTokenDecoders}): a token's signature is
 * checked once, while expiry, not-before and every other claim check still decide each use. The clock is the
 * test's, so expiry is reached without waiting.
 */
class VerifiedTokensTest {

    private static final SecurityProperties SETTINGS = new SecurityProperties(null, null, null, null, null, null);

    @TempDir
    Path dataDir;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-01-01T10:00:00Z"));
    private DevIssuer issuer;
    private VerifiedTokens verified;
    /** How often the server's dev signature check actually ran. */
    private final AtomicInteger signatureChecks = new AtomicInteger();

    private JwtDecoder counted;
    private JwtDecoder server;

    @BeforeEach
    void setUp() {
        issuer = DevIssuer.loadOrCreate(dataDir);
        verified = new VerifiedTokens(new TokenCacheProperties(100, Duration.ofMinutes(2)), clock);
        JwtDecoder signature = BearerTokenDecoders.devSignature(issuer);
        counted = verified.decoder(
                token -> {
                    signatureChecks.incrementAndGet();
                    return signature.decode(token);
                },
                BearerTokenDecoders.validator(DevIssuer.ISSUER, SETTINGS, clock));
        server = BearerTokenDecoders.dev(issuer, SETTINGS, verified);
    }

    @Test
    void aTokenIsVerifiedOnceWhileFreshAndAgainAfterTheTtl() {
        String token = token("alice", Duration.ofMinutes(10));
        assertThat(counted.decode(token).getSubject()).isEqualTo("alice");
        assertThat(counted.decode(token).getSubject()).isEqualTo("alice");
        assertThat(signatureChecks).hasValue(1);
        clock.advance(Duration.ofMinutes(2)); // the configured TTL, before the token's exp
        assertThat(counted.decode(token).getSubject()).isEqualTo("alice");
        assertThat(signatureChecks).hasValue(2);
    }

    @Test
    void aCachedTokenIsRefusedOnceExpired() {
        String token = token("alice", Duration.ofSeconds(30));
        server.decode(token);
        server.decode(token); // from the cache now
        clock.advance(Duration.ofSeconds(30 + 61)); // past exp and the validator's 60 s skew
        assertThatThrownBy(() -> server.decode(token))
                .isInstanceOf(BadJwtException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void notBeforeIsEnforcedOnEveryUseAndARefusedTokenIsNeverKept() {
        Instant now = clock.instant();
        String early = sign(claims("bob", now, now.plus(Duration.ofMinutes(10)))
                .notBeforeTime(Date.from(now.plus(Duration.ofMinutes(3))))
                .build());
        assertThatThrownBy(() -> counted.decode(early)).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> counted.decode(early)).isInstanceOf(BadJwtException.class);
        assertThat(signatureChecks).hasValue(2); // checked afresh each time: nothing kept for a refused token
        clock.advance(Duration.ofMinutes(3));
        assertThat(counted.decode(early).getSubject()).isEqualTo("bob");
    }

    @Test
    void oneChangedByteOfTheSignatureIsRefusedRightAfterTheGoodTokenWasCached() {
        String good = token("alice", Duration.ofMinutes(10));
        server.decode(good);
        server.decode(good);
        String[] parts = good.split("\\.");
        byte[] signature = Base64URL.from(parts[2]).decode();
        signature[10] ^= 0x01;
        String tampered = parts[0] + "." + parts[1] + "." + Base64URL.encode(signature);
        assertThat(tampered).isNotEqualTo(good);
        assertThatThrownBy(() -> server.decode(tampered)).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> server.decode(tampered)).isInstanceOf(BadJwtException.class);
        assertThat(server.decode(good).getSubject()).isEqualTo("alice");
    }

    @Test
    void twoTokensNeverShareAnEntry() {
        Instant now = clock.instant();
        JWTClaimsSet aliceClaims =
                claims("alice", now, now.plus(Duration.ofMinutes(10))).build();
        String alice = sign(aliceClaims);
        String bob = token("bob", Duration.ofMinutes(10));
        assertThat(counted.decode(alice).getSubject()).isEqualTo("alice");
        assertThat(counted.decode(bob).getSubject()).isEqualTo("bob");
        assertThat(counted.decode(alice).getSubject()).isEqualTo("alice");
        assertThat(counted.decode(bob).getSubject()).isEqualTo("bob");
        assertThat(signatureChecks).hasValue(2);
        // the same claims signed by a key the server does not trust: its own entry, refused
        String forged =
                TestJwts.sign(TestJwts.newEcKey(issuer.verificationKey().getKeyID()), JWSAlgorithm.ES256, aliceClaims);
        assertThatThrownBy(() -> counted.decode(forged)).isInstanceOf(BadJwtException.class);
        assertThat(signatureChecks).hasValue(3);
    }

    @Test
    void aTokenFailingAClaimCheckIsRefusedEveryTime() {
        Instant now = clock.instant();
        String otherIssuer = sign(new JWTClaimsSet.Builder(
                        claims("alice", now, now.plus(Duration.ofMinutes(10))).build())
                .issuer("https://elsewhere.example")
                .build());
        assertThatThrownBy(() -> server.decode(otherIssuer)).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> server.decode(otherIssuer)).isInstanceOf(BadJwtException.class);
    }

    @Test
    void sizeZeroChecksEveryTime() {
        VerifiedTokens off = new VerifiedTokens(new TokenCacheProperties(0, null), clock);
        JwtDecoder signature = BearerTokenDecoders.devSignature(issuer);
        JwtDecoder decoder = off.decoder(
                token -> {
                    signatureChecks.incrementAndGet();
                    return signature.decode(token);
                },
                BearerTokenDecoders.validator(DevIssuer.ISSUER, SETTINGS, clock));
        String token = token("alice", Duration.ofMinutes(10));
        decoder.decode(token);
        decoder.decode(token);
        assertThat(signatureChecks).hasValue(2);
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new TokenCacheProperties(-1, null)).hasMessageContaining("max-size");
        assertThatThrownBy(() -> new TokenCacheProperties(null, Duration.ZERO)).hasMessageContaining("ttl");
        assertThatThrownBy(() -> new TokenCacheProperties(null, Duration.ofHours(1)))
                .hasMessageContaining("ttl");
    }

    // ---- helpers

    private String token(String subject, Duration lifetime) {
        Instant now = clock.instant();
        return sign(claims(subject, now, now.plus(lifetime)).build());
    }

    private static JWTClaimsSet.Builder claims(String subject, Instant issued, Instant expires) {
        return new JWTClaimsSet.Builder()
                .issuer(DevIssuer.ISSUER)
                .subject(subject)
                .issueTime(Date.from(issued))
                .expirationTime(Date.from(expires))
                .claim("ledger_address", TestJwts.ADDRESS)
                .claim("fhirUser", "Practitioner/test")
                .claim("scope", "openid fhirUser");
    }

    private String sign(JWTClaimsSet claims) {
        return TestJwts.sign(issuer.signingKey(), JWSAlgorithm.ES256, claims);
    }
}
