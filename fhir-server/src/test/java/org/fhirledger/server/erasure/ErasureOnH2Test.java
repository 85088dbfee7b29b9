package org.fhirledger.server.erasure;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.smart.OperationDefinitionsContract;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code Patient/[id]/$erase} on the embedded default: the H2 file database and the local content store under the
 * data directory (the shared anvil as the private chain, a public anvil for anchoring). The same contract as on
 * PostgreSQL ({@link ErasureTest}): the custodian's alone, reads answer 410 afterwards, {@code $verify} says erased,
 * and the patient's PHI is in no file of the data directory (the content store, the key store) once the erasure has
 * answered, nor, after the restart that compacts it, in H2's database file; the same scan finds it there before.
 */
class ErasureOnH2Test {

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String M =
            UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    static final String FAMILY = "Zyxfam" + M;
    static final String OLD_FAMILY = "Oldfam" + M;
    static final String GIVEN = "Qwgiven" + M;
    static final String NOTE = "Notetext" + M;
    static final List<String> MARKERS = List.of(FAMILY, OLD_FAMILY, GIVEN, NOTE);

    static Path data;
    static PipelineServer server;
    static String custodian;
    static String clinician;
    static String admin;
    static String auditor;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "erasure-h2-");
        server = startServer();
        custodian = server.token();
        admin = DevTokens.mint(data, Role.ADMIN, null);
        assertThat(send(
                                "PUT",
                                admin,
                                "/Practitioner/dr-h2",
                                "{\"resourceType\":\"Practitioner\",\"id\":\"dr-h2\","
                                        + "\"name\":[{\"family\":\"Hache\"}]}")
                        .statusCode())
                .isIn(200, 201);
        clinician = DevTokens.mint(data, Role.CLINICIAN, "Practitioner/dr-h2");
        auditor = DevTokens.mint(data, Role.AUDITOR, null);
    }

    /** No datasource and no IPFS url: the H2 file database and the local content store, as bin/run has them. */
    static PipelineServer startServer() {
        AnvilExtension chain = SharedChain.anvil();
        return PipelineServer.start(
                data,
                chain.rpcUrl(),
                chain.chainId(),
                "--ledger.max-wait=10ms",
                "--anchor.enabled=true",
                "--anchor.rpc-url=" + publicChain.rpcUrl(),
                "--anchor.chain-id=31338",
                "--anchor.gas-price=0",
                "--anchor.every=1s",
                "--anchor.follow-interval=200ms");
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void anErasedPatientIsGoneFromTheH2FilesAndTheContentStoreAndOnlyTheCustodianErases() throws Exception {
        // two versions of the patient, an observation with a note, and the creator's consent
        String id = id(send(
                "POST",
                clinician,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + OLD_FAMILY + "\"}]}"));
        assertThat(send(
                                "PUT",
                                clinician,
                                "/Patient/" + id,
                                "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"" + FAMILY
                                        + "\",\"given\":[\"" + GIVEN + "\"]}]}")
                        .statusCode())
                .isEqualTo(200);
        String obs = id(send(
                "POST",
                clinician,
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\","
                        + "\"code\":{\"text\":\"vitals\"},\"subject\":{\"reference\":\"Patient/" + id
                        + "\"},\"note\":[{\"text\":\""
                        + NOTE + "\"}]}"));
        String other = id(send(
                "POST", clinician, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Bystander\"}]}"));
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        await(() -> "verified".equals(value(verify("/Patient/" + id + "/_history/1"), "status")), "version 1 anchored");
        assertThat(Files.list(data.resolve("content")).findAny())
                .as("the local content store holds objects")
                .isPresent();

        // only the custodian
        String patientToken = DevTokens.mint(data, Role.PATIENT, "Patient/" + id);
        for (String token : List.of(clinician, patientToken, admin, auditor)) {
            HttpResponse<String> r = erase(token, id);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.body()).contains("OperationOutcome");
        }
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(200);
        // positive control: the scan sees the markers while they are there
        assertThat(markersIn(fileHits())).contains(FAMILY, OLD_FAMILY, NOTE);

        HttpResponse<String> erased = erase(custodian, id);
        assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);
        assertThat(value(JSON.readTree(erased.body()), "status")).isEqualTo("erased");

        for (String path : List.of(
                "/Patient/" + id,
                "/Patient/" + id + "/_history/1",
                "/Observation/" + obs,
                "/Observation?patient=Patient/" + id)) {
            HttpResponse<String> r = send("GET", custodian, path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(410);
            assertThat(r.body()).as(path).contains("OperationOutcome").contains("erased on");
        }
        assertThat(send("GET", custodian, "/Patient/" + other, null).statusCode())
                .isEqualTo(200);
        assertThat(erase(custodian, id).statusCode()).isEqualTo(410);
        assertThat(value(verify("/Patient/" + id + "/_history/1"), "status")).isEqualTo("erased");
        assertThat(value(verify("/Patient/" + id), "status")).isEqualTo("erased");

        // the content store and every other file hold nothing of the patient at once; the H2 file still has the old
        // bytes of the expunged rows in space it no longer uses, and is marked to be compacted at the next start
        Path h2File = data.resolve("h2").resolve("fhir.mv.db");
        assertThat(fileHits())
                .as("PHI markers in the data directory's files")
                .allMatch(h -> h.endsWith(" in h2/fhir.mv.db"));
        assertThat(h2File.resolveSibling("fhir.compact-pending")).exists();

        // after a restart: nothing of the patient in any file of the data directory, and still erased
        server.close();
        server = startServer();
        assertThat(fileHits()).as("PHI markers in the data directory's files").isEmpty();
        assertThat(h2File.resolveSibling("fhir.compact-pending")).doesNotExist();
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(410);
        assertThat(send("GET", custodian, "/Patient/" + other, null).statusCode())
                .isEqualTo(200);
        assertThat(value(verify("/Patient/" + id + "/_history/1"), "status")).isEqualTo("erased");
    }

    /** "marker in file" for every marker found (as UTF-8 bytes) in a file under the data directory. */
    static List<String> fileHits() throws IOException {
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String raw;
                try {
                    raw = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue; // a temporary file the server removed meanwhile
                }
                for (String m : MARKERS) {
                    if (raw.contains(m)) hits.add(m + " in " + data.relativize(f));
                }
            }
        }
        return hits;
    }

    static List<String> markersIn(List<String> hits) {
        return hits.stream()
                .map(h -> h.substring(0, h.indexOf(" in ")))
                .distinct()
                .toList();
    }

    static JsonNode verify(String ref) {
        HttpResponse<String> r = send("GET", auditor, ref + "/$verify", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String value(JsonNode params, String name) {
        for (JsonNode p : params.path("parameter")) {
            if (p.path("name").asText().equals(name)) {
                JsonNode v = p.path("valueString").isMissingNode() ? p.path("valueCode") : p.path("valueString");
                return v.asText();
            }
        }
        return null;
    }

    @Test
    void everyOperationInTheCapabilityStatementResolvesToAnOperationDefinitionTrueToTheCode() throws Exception {
        String stored = id(send("POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}"));
        OperationDefinitionsContract.check(
                ErasureOnH2Test::send, server.baseUrl(), custodian, clinician, stored, stored);
    }

    static HttpResponse<String> erase(String token, String id) {
        return send(
                "POST",
                token,
                "/Patient/" + id + "/$erase",
                "{\"resourceType\":\"Parameters\",\"parameter\":["
                        + "{\"name\":\"reason\",\"valueString\":\"request of the patient\"}]}");
    }

    static HttpResponse<String> send(String method, String token, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json")
                .timeout(Duration.ofSeconds(120));
        if (body != null) b.header("Content-Type", "application/fhir+json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String id(HttpResponse<String> r) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    static void await(java.util.function.BooleanSupplier condition, String what) {
        PipelineServer.await(condition, Duration.ofSeconds(90), what);
    }
}
