package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Raw HTTP with exactly the Authorization header a test chooses (any test package), and the checks every 401 must pass. */
public final class HttpProbe {

    static final String PATIENT = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Probe\"}]}";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpProbe() {}

    /** @param authorization the whole Authorization header value, or null to send none */
    public static HttpResponse<String> request(String method, String url, String authorization, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Accept", url.contains("/fhir") ? "application/fhir+json" : "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/fhir+json");
        }
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** 401, WWW-Authenticate: Bearer, and a FHIR OperationOutcome with issue code login. */
    static void assertUnauthorized(HttpResponse<String> r, String what) {
        assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
                .as(what)
                .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(r.headers().firstValue("Content-Type"))
                .as(what)
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/fhir+json"));
        try {
            JsonNode outcome = JSON.readTree(r.body());
            assertThat(outcome.path("resourceType").asText()).as(what).isEqualTo("OperationOutcome");
            assertThat(outcome.path("issue").path(0).path("code").asText())
                    .as(what)
                    .isEqualTo("login");
            assertThat(outcome.path("issue").path(0).path("severity").asText())
                    .as(what)
                    .isEqualTo("error");
        } catch (IOException e) {
            throw new AssertionError(what + ": body is not JSON: " + r.body(), e);
        }
    }
}
