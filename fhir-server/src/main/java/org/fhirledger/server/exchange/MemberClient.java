package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server calling another member's FHIR API over HTTP: its {@code $member-token} with a client assertion, then
 * searches with the token it got. What goes wrong becomes an answer for this server's caller, never a 500 and never
 * data: the member unreachable or timing out → 503, answering with a server error or something that is no FHIR → 502,
 * refusing this server or its clinician → 403. Log lines name the status only (no URL: it can carry a patient id).
 */
final class MemberClient {

    private static final Logger log = LoggerFactory.getLogger(MemberClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** 502: the other member answered, but not as a FHIR server should. */
    static final class BadGateway extends BaseServerResponseException {
        BadGateway(String message) {
            super(502, message);
        }
    }

    /** 503: the other member could not be reached in time. */
    static final class MemberUnavailable extends BaseServerResponseException {
        MemberUnavailable(String message) {
            super(503, message);
        }
    }

    private final HttpClient http;
    private final FhirContext fhir;
    private final RetrievalProperties settings;

    MemberClient(FhirContext fhir, RetrievalProperties settings) {
        this.fhir = fhir;
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** An access token from the member's token endpoint for this assertion. */
    String token(String tokenEndpoint, String assertion) {
        String form = "grant_type=client_credentials"
                + "&client_assertion_type="
                + URLEncoder.encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
                + "&client_assertion=" + URLEncoder.encode(assertion, StandardCharsets.UTF_8);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(tokenEndpoint))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            log.info("another member refused this server a token (HTTP {})", r.statusCode());
            throw new ForbiddenOperationException("The member refused this institution a token for the caller"
                    + " (HTTP " + r.statusCode() + "): " + detail(r));
        }
        checkAnswered(r);
        try {
            JsonNode body = JSON.readTree(r.body());
            String token = body.path("access_token").asText("");
            if (token.isEmpty()) throw new BadGateway("The member's token endpoint answered without an access token");
            return token;
        } catch (IOException notJson) {
            throw new BadGateway("The member's token endpoint did not answer JSON");
        }
    }

    /** One search page (a Bundle) with the member's token. */
    Bundle search(String url, String accessToken) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/fhir+json")
                .header("Authorization", "Bearer " + accessToken)
                .GET());
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            log.info("another member refused a search (HTTP {})", r.statusCode());
            throw new ForbiddenOperationException(
                    "The member refused the search for the caller (HTTP " + r.statusCode() + "): " + detail(r));
        }
        checkAnswered(r);
        try {
            return fhir.newJsonParser().parseResource(Bundle.class, r.body());
        } catch (DataFormatException | ClassCastException notABundle) {
            throw new BadGateway("The member answered a search with something that is no FHIR Bundle");
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(settings.requestTimeout()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException down) {
            log.info("another member could not be reached: {}", down.getClass().getSimpleName());
            throw new MemberUnavailable("The member's server cannot be reached now ("
                    + down.getClass().getSimpleName() + "). Retry later.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MemberUnavailable("Interrupted while waiting for the member's server");
        }
    }

    private static void checkAnswered(HttpResponse<String> r) {
        int status = r.statusCode();
        if (status == 200) return;
        log.info("another member answered HTTP {}", status);
        if (status == 503 || status == 429) {
            throw new MemberUnavailable("The member's server is unavailable now (HTTP " + status + "). Retry later.");
        }
        throw new BadGateway("The member's server answered HTTP " + status + ": " + detail(r));
    }

    /** The diagnostics of the member's OperationOutcome or OAuth error, short; never its whole body. */
    private static String detail(HttpResponse<String> r) {
        try {
            JsonNode body = JSON.readTree(r.body());
            String text = body.path("error_description").asText(null);
            if (text == null)
                text = body.path("issue").path(0).path("diagnostics").asText(null);
            if (text == null) text = body.path("error").asText("no details");
            return text.length() > 300 ? text.substring(0, 300) + "…" : text;
        } catch (IOException | RuntimeException e) {
            return "no details";
        }
    }
}
