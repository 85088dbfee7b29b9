package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/**
 * What the database refuses reaches the client as a clean 4xx OperationOutcome: no SQL, no database message (which
 * quotes the request's values), and nothing stored.
 */
public interface DatabaseErrorContract extends FhirServerUnderTest {

    default void assertNoDatabaseText(HttpResponse<String> r) {
        assertThat(r.body())
                .doesNotContainIgnoringCase("sql")
                .doesNotContainIgnoringCase("varying")
                .doesNotContain("HFJ_")
                .doesNotContain("SP_UNITS")
                .doesNotContainIgnoringCase("constraint");
    }

    @Test
    default void aValueTooLongForTheDatabaseIs422WithoutDatabaseText() {
        long before = storedVersionCount();
        String value = "unit-" + UUID.randomUUID() + "x".repeat(300);
        HttpResponse<String> r = send(
                "POST",
                "/Observation",
                "application/fhir+json",
                ("{\"resourceType\":\"Observation\","
                                + "\"status\":\"final\",\"code\":{\"text\":\"too long\"},\"valueQuantity\":{\"value\":1,"
                                + "\"system\":\"http://unitsofmeasure.org\",\"code\":\"" + value + "\"}}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        OperationOutcome oo = (OperationOutcome) ctx().newJsonParser().parseResource(r.body());
        assertThat(oo.getIssueFirstRep().getDiagnostics()).containsIgnoringCase("too long");
        assertNoDatabaseText(r);
        assertThat(r.body()).doesNotContain(value.substring(0, 20));
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    default void concurrentConditionalCreatesNeverShowDatabaseText() throws Exception {
        String mrn = "mrn-" + UUID.randomUUID();
        String body =
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"urn:test\",\"value\":\"" + mrn + "\"}]}";
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(CompletableFuture.supplyAsync(
                        () -> exchange(
                                HttpRequest.newBuilder(URI.create(baseUrl() + "/Patient"))
                                        .header("Content-Type", "application/fhir+json")
                                        .header("If-None-Exist", "identifier=urn:test|" + mrn)
                                        .POST(HttpRequest.BodyPublishers.ofString(body)),
                                true),
                        pool));
            }
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                HttpResponse<String> r = call.get();
                assertThat(r.statusCode()).as(r.body()).isIn(200, 201, 409, 412);
                if (r.statusCode() >= 400) assertNoDatabaseText(r);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
