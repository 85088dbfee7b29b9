package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a FHIR client may do with the ledger on (embedded default, real anvil): legitimate writes never raise an
 * integrity alarm (no-op updates and patches, duplicate meta entries, concurrent updates), operations that would
 * change a stored version in place are refused before they run, the CapabilityStatement lists only what works, and
 * a version failing its check is withheld from a search page instead of taking the page down.
 */
class LedgerConformanceTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    @TempDir
    static Path data;

    static PipelineServer server;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        server = PipelineServer.start(data, anvil.rpcUrl(), anvil.chainId());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + server.token())
                .header("Accept", "application/fhir+json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/fhir+json");
        for (int i = 0; i < headers.length; i += 2) b.setHeader(headers[i], headers[i + 1]);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String idOf(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body()).get("id").asText();
        } catch (Exception e) {
            throw new IllegalStateException(r.body(), e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(r.body(), e);
        }
    }

    /** Integrity-failure AuditEvents stored so far (their outcome description says so). */
    static long integrityAlarms() {
        server.catchUpAudits();
        return server.jdbc()
                .queryForObject(
                        "select count(*) from hfj_res_ver where res_type = 'AuditEvent'"
                                + " and res_text_vc like '%integrity check failed%'",
                        Long.class);
    }

    @Test
    void anUnchangedPutAnswersTheStoredVersionWithoutAnAlarm() {
        long alarms = integrityAlarms();
        String body = "{\"resourceType\":\"Practitioner\",\"id\":\"dr-alvarez\",\"name\":[{\"family\":\"Alvarez\"}]}";
        HttpResponse<String> first = send("PUT", "/Practitioner/dr-alvarez", body);
        assertThat(first.statusCode()).as(first.body()).isIn(200, 201);
        String observation = "{\"resourceType\":\"Observation\",\"id\":\"noop-obs\",\"status\":\"final\","
                + "\"meta\":{\"tag\":[{\"system\":\"urn:t\",\"code\":\"b\"},{\"system\":\"urn:t\",\"code\":\"a\"}]},"
                + "\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">glucose</div>\"},"
                + "\"code\":{\"text\":\"glucose\"},\"valueQuantity\":{\"value\":5.50,\"unit\":\"mmol/L\"}}";
        assertThat(send("PUT", "/Observation/noop-obs", observation).statusCode())
                .isIn(200, 201);
        for (int round = 0; round < 2; round++) {
            HttpResponse<String> again = send("PUT", "/Practitioner/dr-alvarez", body);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            assertThat(json(again).at("/meta/versionId").asText()).isEqualTo("1");
            HttpResponse<String> obs = send("PUT", "/Observation/noop-obs", observation);
            assertThat(obs.statusCode()).as(obs.body()).isEqualTo(200);
        }
        HttpResponse<String> minimal = send("PUT", "/Practitioner/dr-alvarez", body, "Prefer", "return=minimal");
        assertThat(minimal.statusCode()).isEqualTo(200);
        assertThat(send("GET", "/Practitioner/dr-alvarez", null).statusCode()).isEqualTo(200);
        assertThat(integrityAlarms())
                .as("no integrity alarm for a no-op update")
                .isEqualTo(alarms);
    }

    @Test
    void aPatchThatChangesNothingAnswersTheStoredVersionWithoutAnAlarm() {
        long alarms = integrityAlarms();
        String id = idOf(send("POST", "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Same\"}]}"));
        HttpResponse<String> patch = send(
                "PATCH",
                "/Patient/" + id,
                "[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":\"Same\"}]",
                "Content-Type",
                "application/json-patch+json");
        assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);
        assertThat(send("GET", "/Patient/" + id, null).statusCode()).isEqualTo(200);
        assertThat(integrityAlarms()).isEqualTo(alarms);
    }

    @Test
    void operationsThatWouldChangeAStoredVersionInPlaceAreRefusedAndLeaveItReadable() {
        String id = idOf(send(
                "POST",
                "/Patient",
                "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"system\":"
                        + "\"urn:t\",\"code\":\"keep\"}]},\"name\":[{\"family\":\"MetaOps\"}]}"));
        String meta = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"meta\",\"valueMeta\":{\"tag\":"
                + "[{\"system\":\"urn:t\",\"code\":\"keep\"}]}}]}";
        String add = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"meta\",\"valueMeta\":{\"tag\":"
                + "[{\"system\":\"urn:t\",\"code\":\"new\"}]}}]}";
        Map<String, String> refused = new TreeMap<>();
        for (String path : List.of(
                "/Patient/" + id + "/$meta-delete",
                "/Patient/" + id + "/_history/1/$meta-delete",
                "/Patient/" + id + "/$meta-add",
                "/Patient/" + id + "/_history/1/$meta-add")) {
            HttpResponse<String> r = send("POST", path, path.contains("delete") ? meta : add);
            refused.put(path, r.statusCode() + "");
        }
        HttpResponse<String> expunge = send(
                "POST",
                "/Patient/" + id + "/$expunge",
                "{\"resourceType\":\"Parameters\","
                        + "\"parameter\":[{\"name\":\"expungeEverything\",\"valueBoolean\":true}]}");
        refused.put("$expunge", expunge.statusCode() + "");
        assertThat(refused)
                .allSatisfy((path, status) -> assertThat(status).as(path).isEqualTo("405"));
        for (String path : List.of("/Patient/" + id, "/Patient/" + id + "/_history/1")) {
            HttpResponse<String> r = send("GET", path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).contains("\"keep\"").doesNotContain("\"new\"");
        }
        assertThat(send("GET", "/Patient/" + id + "/$meta", null).statusCode())
                .as("reading meta")
                .isEqualTo(200);
    }

    @Test
    void theCapabilityStatementListsOnlyWhatWorks() {
        JsonNode cs = json(send("GET", "/metadata", null));
        List<String> operations = new ArrayList<>();
        cs.at("/rest/0/operation").forEach(o -> operations.add(o.path("name").asText()));
        JsonNode auditEvent = null;
        for (JsonNode r : cs.at("/rest/0/resource")) {
            r.path("operation")
                    .forEach(o -> operations.add(
                            r.path("type").asText() + ":" + o.path("name").asText()));
            if ("AuditEvent".equals(r.path("type").asText())) auditEvent = r;
        }
        assertThat(operations)
                .noneMatch(o -> o.endsWith("meta-add") || o.endsWith("meta-delete") || o.endsWith("expunge"));
        assertThat(operations).anyMatch(o -> o.endsWith("meta"));
        List<String> auditInteractions = new ArrayList<>();
        auditEvent
                .path("interaction")
                .forEach(i -> auditInteractions.add(i.path("code").asText()));
        assertThat(auditInteractions).contains("read", "search-type").doesNotContain("update", "patch", "delete");
    }

    @Test
    void duplicateMetaEntriesAreStoredOnceAndTheResourceStaysReadableAndSearchable() {
        long alarms = integrityAlarms();
        String body = "{\"resourceType\":\"Patient\",\"meta\":{"
                + "\"security\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-Confidentiality\",\"code\":\"R\"},"
                + "{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-Confidentiality\",\"code\":\"R\"}],"
                + "\"tag\":[{\"system\":\"urn:dup\",\"code\":\"t\",\"display\":\"One\"},{\"system\":\"urn:dup\",\"code\":\"t\",\"display\":\"Two\"},"
                + "{\"system\":\"urn:dup\",\"code\":\"u\"},{\"system\":\"urn:dup\",\"code\":\"u\"}],"
                + "\"profile\":[\"http://example.org/p\",\"http://example.org/p\"]},\"name\":[{\"family\":\"Duplicates\"}]}";
        HttpResponse<String> created = send("POST", "/Patient", body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = idOf(created);
        // another resource with the same tag under another display: HAPI keeps one display per tag
        HttpResponse<String> other = send(
                "POST",
                "/Patient",
                "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"system\":"
                        + "\"urn:dup\",\"code\":\"t\",\"display\":\"Three\"}]},\"name\":[{\"family\":\"Duplicates\"}]}");
        assertThat(other.statusCode()).isEqualTo(201);
        for (String path : List.of(
                "/Patient/" + id,
                "/Patient/" + idOf(other),
                "/Patient?_sort=-_lastUpdated&_count=5",
                "/Patient?family=Duplicates")) {
            HttpResponse<String> r = send("GET", path, null);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain("integrity check");
        }
        assertThat(integrityAlarms()).isEqualTo(alarms);
    }

    @Test
    void aVersionFailingItsCheckIsWithheldFromASearchPageButRefusedOnARead() {
        String good =
                idOf(send("POST", "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Withheld\"}]}"));
        String bad = idOf(send(
                "POST",
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Withheld\"}]," + "\"gender\":\"female\"}"));
        int changed = server.jdbc()
                .update(
                        "update hfj_res_ver set res_text_vc = replace(res_text_vc, 'female', 'male')"
                                + " where res_id = (select res_id from hfj_resource where fhir_id = ? and res_type = 'Patient')",
                        bad);
        assertThat(changed).isEqualTo(1);
        long alarms = integrityAlarms();
        HttpResponse<String> page = send("GET", "/Patient?family=Withheld", null);
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        List<String> patients = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        for (JsonNode e : json(page).path("entry")) {
            String type = e.at("/resource/resourceType").asText();
            if ("Patient".equals(type)) patients.add(e.at("/resource/id").asText());
            if ("OperationOutcome".equals(type)) {
                assertThat(e.at("/search/mode").asText()).isEqualTo("outcome");
                outcomes.add(e.at("/resource/issue/0/diagnostics").asText());
            }
        }
        assertThat(patients).containsExactly(good);
        assertThat(outcomes)
                .singleElement()
                .asString()
                .contains("withheld")
                .contains("integrity check")
                .doesNotContain(bad);
        assertThat(integrityAlarms()).as("the withheld version is audited").isEqualTo(alarms + 1);
        assertThat(send("GET", "/Patient/" + bad, null).statusCode()).isEqualTo(500);
        assertThat(send("GET", "/Patient/" + good, null).statusCode()).isEqualTo(200);
    }

    @Test
    void concurrentUpdatesOfOneResourceAnswerSuccessOrConflict() throws Exception {
        String id = idOf(send("POST", "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Race\"}]}"));
        List<Integer> plain = race(
                20,
                n -> send(
                        "PUT",
                        "/Patient/" + id,
                        "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"Race" + n
                                + "\"}]}"));
        assertThat(plain).as("statuses").allMatch(s -> s == 200 || s == 409).contains(200);
        String current =
                json(send("GET", "/Patient/" + id, null)).at("/meta/versionId").asText();
        List<Integer> ifMatch = race(
                20,
                n -> send(
                        "PUT",
                        "/Patient/" + id,
                        "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"IfMatch" + n
                                + "\"}]}",
                        "If-Match",
                        "W/\"" + current + "\""));
        assertThat(ifMatch).as("statuses").allMatch(s -> s == 200 || s == 412);
        assertThat(ifMatch.stream().filter(s -> s == 200).count()).isEqualTo(1);
        HttpResponse<String> history = send("GET", "/Patient/" + id + "/_history?_count=100", null);
        assertThat(history.statusCode()).as(history.body()).isEqualTo(200);
    }

    interface Call {
        HttpResponse<String> call(int n);
    }

    static List<Integer> race(int clients, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int n = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return call.call(n);
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() != 200) {
                    assertThat(r.body())
                            .as("no database text")
                            .doesNotContainIgnoringCase("insert into")
                            .doesNotContainIgnoringCase("fl_outbox");
                }
                statuses.add(r.statusCode());
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anUnknownElementIsRefusedWhateverItsValue() {
        for (String x : List.of("[[]]", "[[1]]", "[]", "{}", "[{}]", "null")) {
            HttpResponse<String> r = send(
                    "POST",
                    "/Patient",
                    "{\"resourceType\":\"Patient\",\"x\":" + x + "," + "\"name\":[{\"family\":\"Strict\"}]}");
            assertThat(r.statusCode()).as("x: " + x + " -> " + r.body()).isEqualTo(400);
        }
    }
}
