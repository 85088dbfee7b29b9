package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/**
 * Bad input: each case gets a 4xx with an OperationOutcome that says what is wrong, and stores nothing
 * (the count of stored versions is unchanged, and the would-be resource cannot be found).
 */
public interface BadInputContract extends FhirServerUnderTest {

    String JSON = "application/fhir+json";
    int TEN_MIB = 10 * 1024 * 1024;

    default OperationOutcome assertRefused(HttpResponse<String> response, int status, String diagnosticsContains) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).contains("fhir+json");
        OperationOutcome oo = (OperationOutcome) ctx().newJsonParser().parseResource(response.body());
        assertThat(oo.getIssue()).isNotEmpty();
        assertThat(oo.getIssueFirstRep().getSeverity())
                .isIn(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueSeverity.FATAL);
        assertThat(oo.getIssueFirstRep().getDiagnostics()).containsIgnoringCase(diagnosticsContains);
        return oo;
    }

    default void assertNothingFound(String query) {
        HttpResponse<String> r = send("GET", "/" + query + "&_summary=count", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        org.hl7.fhir.r4.model.Bundle b =
                (org.hl7.fhir.r4.model.Bundle) ctx().newJsonParser().parseResource(r.body());
        assertThat(b.getTotal()).as(query).isZero();
    }

    default byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    default void malformedJsonIs400() {
        long before = storedVersionCount();
        String mrn = UUID.randomUUID().toString();
        assertRefused(
                send(
                        "POST",
                        "/Patient",
                        JSON,
                        utf8("{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"" + mrn
                                + "\"}],\"name\":[{\"family\":")),
                400,
                "");
        assertThat(storedVersionCount()).isEqualTo(before);
        assertNothingFound("Patient?identifier=" + mrn);
    }

    @Test
    default void notAFhirResourceIs400() {
        long before = storedVersionCount();
        assertRefused(send("POST", "/Patient", JSON, utf8("[1,2,3]")), 400, "");
        assertRefused(send("POST", "/Patient", JSON, utf8("{\"name\":\"no resourceType\"}")), 400, "resourceType");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void unknownResourceTypeIs4xx() {
        long before = storedVersionCount();
        HttpResponse<String> create = send("POST", "/Spaceship", JSON, utf8("{\"resourceType\":\"Spaceship\"}"));
        assertThat(create.statusCode()).isBetween(400, 499);
        assertRefused(create, create.statusCode(), "Spaceship");
        HttpResponse<String> read = send("GET", "/Spaceship/1", null, null);
        assertRefused(read, read.statusCode(), "Spaceship");
        assertThat(read.statusCode()).isBetween(400, 499);
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void invalidCodeIs400AndNotSilentlyDropped() {
        long before = storedVersionCount();
        String mrn = UUID.randomUUID().toString();
        assertRefused(
                send(
                        "POST",
                        "/Patient",
                        JSON,
                        utf8("{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"" + mrn
                                + "\"}],\"gender\":\"x\"}")),
                400,
                "gender");
        assertRefused(
                send(
                        "POST",
                        "/Patient",
                        JSON,
                        utf8("{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"" + mrn
                                + "\"}],\"birthDate\":\"1970-13-45\"}")),
                400,
                "1970-13-45");
        assertRefused(
                send(
                        "POST",
                        "/Patient",
                        JSON,
                        utf8("{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"" + mrn
                                + "\"}],\"favouriteColour\":\"blue\"}")),
                400,
                "favouriteColour");
        assertThat(storedVersionCount()).isEqualTo(before);
        assertNothingFound("Patient?identifier=" + mrn);
    }

    @Test
    default void bodyTypeMustMatchTheUrl() {
        long before = storedVersionCount();
        HttpResponse<String> r = send(
                "POST",
                "/Patient",
                JSON,
                utf8("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}"));
        assertRefused(r, 400, "Observation");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void bodyOverTheLimitIs413WithContentLength() {
        long before = storedVersionCount();
        assertRefused(send("POST", "/Binary", JSON, oversizedBody()), 413, "exceeds the limit");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void chunkedBodyOverTheLimitIs413() {
        long before = storedVersionCount();
        assertRefused(sendChunked("/Binary", oversizedBody(), true), 413, "exceeds the limit");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void anonymousOversizeIsRefusedAsUnauthenticated() {
        // Authentication runs first and needs no body: an anonymous client cannot make the server buffer one.
        assertThat(sendChunked("/Binary", oversizedBody(), false).statusCode()).isEqualTo(401);
    }

    /** POSTs {@code body} without Content-Length: a stream of unknown length goes out chunked. */
    default HttpResponse<String> sendChunked(String path, byte[] body, boolean authenticated) {
        return exchange(
                HttpRequest.newBuilder(URI.create(baseUrl() + path))
                        .header("Content-Type", JSON)
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))),
                authenticated);
    }

    @Test
    default void bodyJustUnderTheLimitIsAccepted() {
        // A large but legal body is stored: the limit refuses only what exceeds it.
        byte[] data = new byte[6 * 1024 * 1024];
        Arrays.fill(data, (byte) 'a');
        String body = "{\"resourceType\":\"Binary\",\"contentType\":\"text/plain\",\"data\":\""
                + java.util.Base64.getEncoder().encodeToString(data) + "\"}";
        assertThat(body.length()).isLessThan(TEN_MIB);
        HttpResponse<String> r = send("POST", "/Binary", JSON, utf8(body));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    default byte[] oversizedBody() {
        String head = "{\"resourceType\":\"Binary\",\"contentType\":\"text/plain\",\"data\":\"";
        byte[] body = new byte[TEN_MIB + 1];
        Arrays.fill(body, (byte) 'A');
        System.arraycopy(utf8(head), 0, body, 0, head.length());
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        return body;
    }

    @Test
    default void transactionWithOneInvalidEntryStoresNothing() {
        long before = storedVersionCount();
        String mrn = UUID.randomUUID().toString();
        String tx = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                + "{\"fullUrl\":\"urn:uuid:11111111-1111-1111-1111-111111111111\",\"resource\":{\"resourceType\":\"Patient\","
                + "\"identifier\":[{\"value\":\"" + mrn
                + "\"}]},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},"
                + "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"not-a-status\",\"code\":{\"text\":\"x\"},"
                + "\"subject\":{\"reference\":\"urn:uuid:11111111-1111-1111-1111-111111111111\"}},"
                + "\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}";
        assertRefused(send("POST", "", JSON, utf8(tx)), 400, "not-a-status");
        assertThat(storedVersionCount()).isEqualTo(before);
        assertNothingFound("Patient?identifier=" + mrn);
    }

    @Test
    default void transactionWhoseLastEntryFailsRollsBackTheEarlierOnes() {
        long before = storedVersionCount();
        String mrn = UUID.randomUUID().toString();
        // Every entry parses; the third references a patient that does not exist, so the whole transaction fails
        // after the first two were already written inside it.
        String tx = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                + "{\"fullUrl\":\"urn:uuid:22222222-2222-2222-2222-222222222222\",\"resource\":{\"resourceType\":\"Patient\","
                + "\"identifier\":[{\"value\":\"" + mrn
                + "\"}]},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},"
                + "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
                + "\"subject\":{\"reference\":\"urn:uuid:22222222-2222-2222-2222-222222222222\"}},"
                + "\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}},"
                + "{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
                + "\"subject\":{\"reference\":\"Patient/no-such-patient-" + mrn + "\"}},"
                + "\"request\":{\"method\":\"POST\",\"url\":\"DiagnosticReport\"}}]}";
        HttpResponse<String> r = send("POST", "", JSON, utf8(tx));
        assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
        assertRefused(r, r.statusCode(), "no-such-patient");
        assertThat(storedVersionCount()).isEqualTo(before);
        assertNothingFound("Patient?identifier=" + mrn);
    }

    @Test
    default void referenceToAMissingResourceIsRefused() {
        long before = storedVersionCount();
        HttpResponse<String> r = send(
                "POST",
                "/DiagnosticReport",
                JSON,
                utf8("{\"resourceType\":\"DiagnosticReport\","
                        + "\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/ghost-"
                        + UUID.randomUUID() + "\"}}"));
        assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
        assertRefused(r, r.statusCode(), "ghost-");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void unencodedPipeInATokenSearchIsAccepted() {
        // How the FHIR spec and most clients write token searches; java.net.http refuses a raw '|' in a URI,
        // so this goes over a plain socket.
        String status = rawGet("/DiagnosticReport?code=http://loinc.org|2345-7&_summary=count");
        assertThat(status).startsWith("HTTP/1.1 200");
    }

    /** URLs not in normal form, also ones that reach the FHIR path only once normalised: 400, an OperationOutcome. */
    @Test
    default void urlsNotInNormalFormAre400WithAnOperationOutcome() {
        String fhir = java.net.URI.create(baseUrl()).getPath();
        for (String path : new String[] {
            "/console/.." + fhir + "/Patient",
            "/x/../x/.." + fhir + "/metadata",
            fhir + "//Patient",
            fhir + "/./metadata",
            fhir + "/Patient/%2e%2e/metadata",
            fhir + "/Patient;x=1",
            // refused by Tomcat itself, before any filter
            fhir + "/Patient%5cmetadata",
            fhir + "/Patient/a%2fb"
        }) {
            String answer = rawRequest(path);
            assertThat(answer).as(path).startsWith("HTTP/1.1 400");
            assertThat(answer).as(path).contains("\"resourceType\":\"OperationOutcome\"");
        }
    }

    /** The whole answer to a GET of {@code absolutePath} sent as it is (no client normalises it). */
    default String rawRequest(String absolutePath) {
        java.net.URI base = java.net.URI.create(baseUrl());
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(utf8("GET " + absolutePath + " HTTP/1.1\r\nHost: " + base.getHost()
                            + "\r\nAccept: application/fhir+json\r\nAuthorization: Bearer " + bearerToken()
                            + "\r\nConnection: close\r\n\r\n"));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    default String rawGet(String path) {
        java.net.URI base = java.net.URI.create(baseUrl());
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(utf8("GET " + base.getPath() + path + " HTTP/1.1\r\nHost: " + base.getHost()
                            + "\r\nAccept: application/fhir+json\r\nAuthorization: Bearer " + bearerToken()
                            + "\r\nConnection: close\r\n\r\n"));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .findFirst()
                    .orElse("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    default void updateWithMismatchedIdIs400() {
        long before = storedVersionCount();
        HttpResponse<String> r =
                send("PUT", "/Patient/abc", JSON, utf8("{\"resourceType\":\"Patient\",\"id\":\"xyz\"}"));
        assertRefused(r, 400, "");
        assertThat(storedVersionCount()).isEqualTo(before);
    }
}
