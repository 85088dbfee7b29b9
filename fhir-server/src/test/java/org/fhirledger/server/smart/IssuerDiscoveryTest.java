package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Production discovery against a real HTTP server standing in for the IdP. */
class IssuerDiscoveryTest {

    HttpServer idp;
    String issuer;
    final AtomicReference<String> document = new AtomicReference<>();
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @BeforeEach
    void start() throws Exception {
        idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuer = "http://127.0.0.1:" + idp.getAddress().getPort() + "/realms/r";
        idp.createContext("/realms/r/.well-known/openid-configuration", x -> {
            String doc = document.get();
            byte[] body = doc == null ? new byte[0] : doc.getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(doc == null ? 503 : 200, body.length == 0 ? -1 : body.length);
            if (body.length > 0) x.getResponseBody().write(body);
            x.close();
        });
        idp.start();
    }

    @AfterEach
    void stop() {
        idp.stop(0);
    }

    String doc(String iss) {
        return "{\"issuer\":\"" + iss + "\",\"authorization_endpoint\":\"" + issuer + "/auth\",\"token_endpoint\":\""
                + issuer + "/token\",\"jwks_uri\":\"" + issuer
                + "/certs\",\"code_challenge_methods_supported\":[\"plain\",\"S256\"],"
                + "\"grant_types_supported\":[\"authorization_code\",\"client_credentials\"]}";
    }

    @Test
    void takesTheEndpointsFromTheIssuersDiscoveryDocumentAndKeepsTheLastAnswerWhileItIsAway() {
        document.set(doc(issuer));
        IssuerDiscovery discovery = new IssuerDiscovery(issuer, clock);
        AuthorizationServerEndpoints e = discovery.endpoints("http://fhir.example");
        assertThat(e.authorizationEndpoint()).isEqualTo(issuer + "/auth");
        assertThat(e.tokenEndpoint()).isEqualTo(issuer + "/token");
        assertThat(e.codeChallengeMethods()).containsExactly("S256");
        document.set(null);
        now.set(now.get().plusSeconds(3600));
        assertThat(discovery.endpoints("http://fhir.example").tokenEndpoint()).isEqualTo(issuer + "/token");
    }

    @Test
    void anIdpThatCannotBeAskedOrNamesAnotherIssuerIsUnavailableAndNoIssuerIsNone() {
        assertThatThrownBy(() -> new IssuerDiscovery(issuer, clock).endpoints("http://fhir.example"))
                .isInstanceOf(AuthorizationServerLocator.AuthorizationServerUnavailable.class);
        document.set(doc("https://elsewhere.example/realms/r"));
        assertThatThrownBy(() -> new IssuerDiscovery(issuer, clock).endpoints("http://fhir.example"))
                .isInstanceOf(AuthorizationServerLocator.AuthorizationServerUnavailable.class);
        assertThatThrownBy(() -> new IssuerDiscovery(null, clock).endpoints("http://fhir.example"))
                .isInstanceOf(IllegalStateException.class);
    }
}
