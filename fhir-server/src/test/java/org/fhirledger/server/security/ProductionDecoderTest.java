package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.server.security.TestJwts.sign;
import static org.fhirledger.server.security.TestJwts.validClaims;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * The production decoder configured by {@code security.jwk-set-uri} (the server-level tests use discovery from
 * {@code security.issuer-uri}), against a JWKS served over loopback HTTP.
 */
class ProductionDecoderTest {

    private final RSAKey rsa = TestJwts.newRsaKey("rsa-1");
    private final ECKey ec = TestJwts.newEcKey("ec-1");
    private HttpServer jwks;

    @BeforeEach
    void serveJwks() throws IOException {
        jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK()))
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/certs", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
    }

    @AfterEach
    void stop() {
        jwks.stop(0);
    }

    private String jwksUrl() {
        return "http://127.0.0.1:" + jwks.getAddress().getPort() + "/certs";
    }

    /** The server's own path: signatures checked once per token. */
    private static VerifiedTokens verified() {
        return new VerifiedTokens(new TokenCacheProperties(null, null), Clock.systemUTC());
    }

    private static SecurityProperties production(String issuer, String jwkSetUri) {
        return new SecurityProperties(SecurityMode.PRODUCTION, issuer, jwkSetUri, null, null, null);
    }

    @Test
    void jwksOnlyChecksSignatureAndTimesButNotTheIssuer() {
        JwtDecoder decoder = BearerTokenDecoders.production(production(null, jwksUrl()), verified());
        assertThat(decoder.decode(sign(
                                rsa,
                                JWSAlgorithm.RS256,
                                validClaims("https://any-issuer").build()))
                        .getSubject())
                .isEqualTo("test-user");
        assertThat(decoder.decode(sign(
                                ec,
                                JWSAlgorithm.ES256,
                                validClaims("https://any-issuer").build()))
                        .getSubject())
                .isEqualTo("test-user");
        assertThatThrownBy(() -> decoder.decode(sign(
                        TestJwts.newRsaKey("rsa-1"),
                        JWSAlgorithm.RS256,
                        validClaims("x").build())))
                .isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> decoder.decode(
                        sign(rsa, JWSAlgorithm.PS256, validClaims("x").build())))
                .isInstanceOf(BadJwtException.class);
    }

    @Test
    void jwksWithIssuerChecksTheIssuerWithoutDiscovery() {
        // The issuer URL serves nothing: only the JWKS is fetched.
        JwtDecoder decoder =
                BearerTokenDecoders.production(production("https://idp.invalid/realms/x", jwksUrl()), verified());
        assertThat(decoder.decode(sign(
                                rsa,
                                JWSAlgorithm.RS256,
                                validClaims("https://idp.invalid/realms/x").build()))
                        .getIssuer())
                .hasToString("https://idp.invalid/realms/x");
        assertThatThrownBy(() -> decoder.decode(sign(
                        rsa,
                        JWSAlgorithm.RS256,
                        validClaims("https://idp.invalid/realms/y").build())))
                .isInstanceOf(BadJwtException.class);
    }

    @Test
    void anUnreachableJwksIsNotABadToken() {
        String url = jwksUrl();
        jwks.stop(0);
        JwtDecoder decoder = BearerTokenDecoders.production(production(null, url), verified());
        // Not BadJwtException: Spring maps that to 401; this must become the 503 "retry later".
        assertThatThrownBy(() -> decoder.decode(
                        sign(rsa, JWSAlgorithm.RS256, validClaims("x").build())))
                .isInstanceOf(JwtException.class)
                .isNotInstanceOf(BadJwtException.class);
    }
}
