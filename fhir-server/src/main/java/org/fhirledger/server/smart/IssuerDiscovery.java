package org.fhirledger.server.smart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Production: the configured OIDC issuer's discovery document ({@code ${issuer-uri}/.well-known/openid-configuration}),
 * fetched when first needed and kept for a while, so the server starts while the IdP is down and follows it when
 * its endpoints change.
 */
final class IssuerDiscovery implements AuthorizationServerLocator {

    private static final Duration KEEP = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String issuerUri;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    private final Clock clock;
    private volatile AuthorizationServerEndpoints cached;
    private volatile Instant fetchedAt = Instant.MIN;

    IssuerDiscovery(String issuerUri, Clock clock) {
        this.issuerUri = issuerUri;
        this.clock = clock;
    }

    @Override
    public AuthorizationServerEndpoints endpoints(String serverBase) {
        if (issuerUri == null) {
            throw new IllegalStateException("No authorisation server is configured (security.issuer-uri): "
                    + "this server only validates tokens from its JWKS");
        }
        AuthorizationServerEndpoints c = cached;
        if (c != null && fetchedAt.plus(KEEP).isAfter(clock.instant())) return c;
        try {
            c = parse(fetch());
        } catch (IOException | RuntimeException e) {
            if (c != null) return c; // the last known answer beats none while the IdP is away
            throw new AuthorizationServerUnavailable(
                    "cannot read the discovery document of " + issuerUri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuthorizationServerUnavailable("interrupted", e);
        }
        cached = c;
        fetchedAt = clock.instant();
        return c;
    }

    private JsonNode fetch() throws IOException, InterruptedException {
        String url = issuerUri.replaceAll("/+$", "") + "/.well-known/openid-configuration";
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .header("Accept", "application/json")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("HTTP " + r.statusCode() + " from " + url);
        JsonNode doc = JSON.readTree(r.body());
        if (!issuerUri.equals(doc.path("issuer").asText())) {
            throw new IOException("its issuer is not " + issuerUri);
        }
        return doc;
    }

    private static AuthorizationServerEndpoints parse(JsonNode doc) {
        return new AuthorizationServerEndpoints(
                text(doc, "issuer"),
                required(doc, "authorization_endpoint"),
                required(doc, "token_endpoint"),
                required(doc, "jwks_uri"),
                text(doc, "revocation_endpoint"),
                text(doc, "introspection_endpoint"),
                text(doc, "userinfo_endpoint"),
                list(doc, "grant_types_supported", List.of("authorization_code")),
                list(doc, "token_endpoint_auth_methods_supported", List.of("client_secret_basic")),
                list(doc, "token_endpoint_auth_signing_alg_values_supported", List.of()),
                list(doc, "code_challenge_methods_supported", List.of("S256")).stream()
                        .filter("S256"::equals)
                        .toList()); // plain is not SMART's
    }

    private static String required(JsonNode doc, String field) {
        String v = text(doc, field);
        if (v == null) throw new IllegalArgumentException("the discovery document has no " + field);
        return v;
    }

    private static String text(JsonNode doc, String field) {
        JsonNode n = doc.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    private static List<String> list(JsonNode doc, String field, List<String> otherwise) {
        JsonNode n = doc.get(field);
        if (n == null || !n.isArray()) return otherwise;
        List<String> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return List.copyOf(out);
    }
}
