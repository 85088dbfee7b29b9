package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.server.security.HttpProbe.PATIENT;
import static org.fhirledger.server.security.HttpProbe.assertUnauthorized;
import static org.fhirledger.server.security.HttpProbe.bearer;
import static org.fhirledger.server.security.HttpProbe.request;
import static org.fhirledger.server.security.TestJwts.sign;
import static org.fhirledger.server.security.TestJwts.validClaims;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.server.Application;
import org.fhirledger.server.dev.DevToken;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Production mode against an IdP stand-in: an OIDC discovery document and a JWKS (one RSA, one EC key) served
 * over real HTTP on loopback. The server finds the keys by discovery from security.issuer-uri.
 */
@SpringBootTest(classes = Application.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextConfiguration(initializers = H2FileInitializer.class)
class ProductionModeSecurityTest {

    private static final String AUDIENCE = "fhir-ledger-test";
    private static final RSAKey RSA = TestJwts.newRsaKey("idp-rsa");
    private static final ECKey EC = TestJwts.newEcKey("idp-ec");
    private static final HttpServer IDP = startIdp();

    @LocalServerPort
    int port;

    @Value("${data-dir}")
    String dataDir;

    @Autowired
    JdbcTemplate jdbc;

    private static HttpServer startIdp() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            String issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
            String discovery = "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/certs\","
                    + "\"authorization_endpoint\":\"" + issuer + "/auth\",\"token_endpoint\":\"" + issuer + "/token\","
                    + "\"subject_types_supported\":[\"public\"],\"response_types_supported\":[\"code\"],"
                    + "\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\"]}";
            String jwks = new JWKSet(List.of(RSA.toPublicJWK(), EC.toPublicJWK())).toString();
            serve(server, "/realms/test/.well-known/openid-configuration", discovery);
            serve(server, "/realms/test/certs", jwks);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void serve(HttpServer server, String path, String json) {
        server.createContext(path, exchange -> {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }

    private static String issuer() {
        return "http://127.0.0.1:" + IDP.getAddress().getPort() + "/realms/test";
    }

    @DynamicPropertySource
    static void production(DynamicPropertyRegistry registry) {
        registry.add("security.mode", () -> "production");
        registry.add("security.issuer-uri", ProductionModeSecurityTest::issuer);
        registry.add("security.audience", () -> AUDIENCE);
        // token checking only: no chain here, so no authorisation either (covered with a chain elsewhere)
        registry.add("authorization.enabled", () -> "false");
    }

    @AfterAll
    static void stopIdp() {
        IDP.stop(0);
    }

    private String fhir() {
        return "http://localhost:" + port + "/fhir";
    }

    private static JWTClaimsSet.Builder claims() {
        return validClaims(issuer()).audience(AUDIENCE);
    }

    private long stored() {
        return jdbc.queryForObject("select count(*) from HFJ_RES_VER", Long.class);
    }

    @Test
    void tokensFromTheIdpAreAcceptedWithRs256AndEs256() {
        HttpResponse<String> created =
                request("POST", fhir() + "/Patient", bearer(sign(RSA, JWSAlgorithm.RS256, claims().build())), PATIENT);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> search = request(
                "GET",
                fhir() + "/Patient?family=Probe",
                bearer(sign(
                        EC,
                        JWSAlgorithm.ES256,
                        claims().claim("scope", List.of("openid", "user/*.rs")).build())),
                null);
        assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
        assertThat(search.body()).contains("Probe");
    }

    @Test
    void everyOtherTokenIs401AndStoresNothing() throws Exception {
        Instant now = Instant.now();
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("no token", null);
        cases.put(
                "signed by another RSA key with the IdP's kid",
                bearer(sign(TestJwts.newRsaKey("idp-rsa"), JWSAlgorithm.RS256, claims().build())));
        cases.put(
                "signed by an unknown key",
                bearer(sign(TestJwts.newEcKey("other"), JWSAlgorithm.ES256, claims().build())));
        cases.put("RS512 (not accepted) with the IdP's key", bearer(sign(RSA, JWSAlgorithm.RS512, claims().build())));
        cases.put(
                "wrong audience",
                bearer(sign(
                        RSA,
                        JWSAlgorithm.RS256,
                        validClaims(issuer()).audience("someone-else").build())));
        cases.put(
                "no audience",
                bearer(sign(RSA, JWSAlgorithm.RS256, validClaims(issuer()).build())));
        cases.put(
                "wrong issuer",
                bearer(sign(
                        RSA,
                        JWSAlgorithm.RS256,
                        validClaims("https://other-idp.example")
                                .audience(AUDIENCE)
                                .build())));
        cases.put(
                "expired",
                bearer(sign(
                        RSA,
                        JWSAlgorithm.RS256,
                        claims().issueTime(Date.from(now.minusSeconds(3600)))
                                .expirationTime(Date.from(now.minusSeconds(600)))
                                .build())));
        cases.put(
                "not yet valid",
                bearer(sign(
                        RSA,
                        JWSAlgorithm.RS256,
                        claims().notBeforeTime(Date.from(now.plusSeconds(600))).build())));
        cases.put(
                "dev issuer token",
                bearer(sign(
                        TestJwts.newEcKey("dev"),
                        JWSAlgorithm.ES256,
                        validClaims(DevIssuer.ISSUER).audience(AUDIENCE).build())));
        cases.put(
                "no ledger address",
                bearer(sign(
                        RSA,
                        JWSAlgorithm.RS256,
                        claims().claim("ledger_address", null).build())));

        long before = stored();
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertUnauthorized(request("POST", fhir() + "/Patient", c.getValue(), PATIENT), c.getKey());
        }
        assertThat(stored()).isEqualTo(before);
    }

    @Test
    void noDevIssuerInProductionAndDevTokenRefuses() throws IOException {
        Path dir = Path.of(dataDir);
        assertThat(DevIssuer.directory(dir)).doesNotExist();
        assertThat(Files.readString(dir.resolve(TokenSettingsFile.FILE))).contains("mode=production");

        DevModeSecurityTest.Result r = DevModeSecurityTest.devToken("ADMIN", "--data-dir", dataDir);
        assertThat(r.exit()).isEqualTo(DevToken.NOT_AVAILABLE);
        assertThat(r.err()).contains("security.mode=production");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void metadataStaysPublic() {
        HttpResponse<String> r = request("GET", fhir() + "/metadata", null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
