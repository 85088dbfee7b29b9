package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.server.security.HttpProbe.PATIENT;
import static org.fhirledger.server.security.HttpProbe.bearer;
import static org.fhirledger.server.security.HttpProbe.request;

import com.nimbusds.jose.JWSAlgorithm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.fhirledger.server.Application;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Production mode with an IdP nobody answers for (a loopback port just released): the server still starts,
 * and a token it cannot check is a 503 OperationOutcome, not a 500 and not a 401 that would make a client
 * drop a good token.
 */
@SpringBootTest(classes = Application.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextConfiguration(initializers = H2FileInitializer.class)
class ProductionIdpUnreachableTest {

    private static final String ISSUER = "http://127.0.0.1:" + closedPort() + "/realms/down";

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void production(DynamicPropertyRegistry registry) {
        registry.add("security.mode", () -> "production");
        registry.add("security.issuer-uri", () -> ISSUER);
        // token checking only: no chain here, so no authorisation either (covered with a chain elsewhere)
        registry.add("authorization.enabled", () -> "false");
    }

    @Test
    void startsWithoutTheIdpAndAnswers503ForTokensItCannotCheck() {
        String fhir = "http://localhost:" + port + "/fhir";
        long before = jdbc.queryForObject("select count(*) from HFJ_RES_VER", Long.class);
        String token = TestJwts.sign(
                TestJwts.newRsaKey("k"),
                JWSAlgorithm.RS256,
                TestJwts.validClaims(ISSUER).build());

        HttpResponse<String> r = request("POST", fhir + "/Patient", bearer(token), PATIENT);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/fhir+json"));
        assertThat(r.body())
                .contains("\"resourceType\":\"OperationOutcome\"")
                .contains("\"code\":\"transient\"")
                .contains("identity provider is unreachable")
                .doesNotContain(token);
        assertThat(jdbc.queryForObject("select count(*) from HFJ_RES_VER", Long.class))
                .isEqualTo(before);

        // Without a token nothing needs the IdP: still the plain 401, and metadata stays public.
        HttpProbe.assertUnauthorized(request("GET", fhir + "/Patient", null, null), "no token, IdP down");
        assertThat(request("GET", fhir + "/metadata", null, null).statusCode()).isEqualTo(200);
    }
}
