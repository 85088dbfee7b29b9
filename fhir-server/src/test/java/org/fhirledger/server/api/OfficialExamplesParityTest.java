package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.AnvilExtension;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The official HL7 R4 examples (Maven Central {@code org.hl7.fhir.testcases:fhir-test-cases}, folder
 * {@code r4/examples}) loaded twice, as the custodian, into the server with everything on (ledger, authorisation,
 * audit, anchoring; the shared anvil and a public one) and into plain HAPI (ledger and authorisation off): both
 * answer the same status for each load, the second load is a no-op in both (same version, no integrity alarm),
 * reads return the same content, and {@code $verify} says verified for a sample.
 */
class OfficialExamplesParityTest {

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    static final String FOLDER = "org/hl7/fhir/testcases/r4/examples/";
    /**
     * The set: every resource of the folder (JSON and XML; the {@code .json.out} files are not resources) that has
     * an id, one per (type, id) — several files hold the same resource in both formats — the first by file name, and at
     * most {@link #PER_TYPE} per type. In fhir-test-cases 1.7.27 that is {@value #COUNT} resources of 68 types (every
     * type of the folder; no type has more than 3, so the bound does not drop any): 300 writes and 150 reads, about
     * two minutes with the anchoring the {@code $verify} sample waits for.
     */
    static final int PER_TYPE = 3;

    static final int COUNT = 75;
    /**
     * Deliberate differences, by the ledger mode's rules (plain HAPI stores these): the example Consent is a
     * patient-privacy Consent, which the ledger mode mirrors to the chain as a grant to the Practitioners its provision
     * names; it names none (and its period ended in 2016), so there is no grant to record, and it is refused with 422
     * (docs/authorization.md, Consent).
     */
    static final Map<String, Refusal> LEDGER_REFUSES = Map.of(
            "Consent/consent-example-basic", new Refusal(422, "provision.actor must name at least one Practitioner"));
    /**
     * AuditEvents are immutable in both modes (the audit package's rule, on with or without the ledger): a second
     * PUT, even of the same content, is refused in both with 405, so it is no no-op update there.
     */
    static final Refusal SECOND_AUDIT_EVENT_PUT = new Refusal(405, "AuditEvents are immutable");
    /** See the reads in the test: HAPI's, in both modes. */
    static final Refusal UNREADABLE_OPERATION_DEFINITION = new Refusal(404, "HAPI-2249");

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    record Example(String file, String ref, String json) {}

    record Refusal(int status, String message) {
        boolean is(HttpResponse<String> r) {
            return r.statusCode() == status && r.body().contains(message);
        }
    }

    record Mode(String name, ConfigurableApplicationContext ctx, String base, String token) {}

    static List<Example> examples;
    static Mode ledger;
    static Mode plain;
    static PipelineServer ledgerServer;

    @BeforeAll
    static void start() throws Exception {
        examples = examples();
        Path base = Files.createDirectories(Path.of("target", "test-data").toAbsolutePath());
        AnvilExtension chain = SharedChain.anvil();
        // Both modes with the same FHIR settings. Referential integrity is off in both: the examples point at 70-odd
        // resources that are not among them, many with numeric ids that no client may assign, so with it on most
        // examples would be refused alike (proving little); off, each is stored as it is, dangling references and all.
        String[] common = {"--fhir.enforce-referential-integrity=false", "--logging.level.root=WARN"};
        Path ledgerData = Files.createTempDirectory(base, "examples-ledger-");
        ledgerServer = PipelineServer.start(
                ledgerData,
                chain.rpcUrl(),
                chain.chainId(),
                concat(
                        common,
                        "--ledger.max-wait=10ms",
                        "--anchor.enabled=true",
                        "--anchor.rpc-url=" + publicChain.rpcUrl(),
                        "--anchor.chain-id=31338",
                        "--anchor.gas-price=0",
                        "--anchor.every=1s",
                        "--anchor.follow-interval=200ms"));
        ledger = new Mode("ledger", ledgerServer.ctx, ledgerServer.baseUrl(), ledgerServer.token());
        Path plainData = Files.createTempDirectory(base, "examples-plain-");
        // plain HAPI as the write-pipeline benchmark runs it: no ledger, no authorisation (and so no audit trail)
        ConfigurableApplicationContext plainCtx = new SpringApplicationBuilder(Application.class)
                .run(concat(
                        common,
                        "--data-dir=" + plainData,
                        "--server.port=0",
                        "--ledger.enabled=false",
                        "--authorization.enabled=false"));
        plain = new Mode(
                "plain",
                plainCtx,
                "http://localhost:"
                        + ((WebServerApplicationContext) plainCtx)
                                .getWebServer()
                                .getPort() + "/fhir",
                DevTokens.mint(plainData, Role.CUSTODIAN, null));
    }

    @AfterAll
    static void stop() {
        if (plain != null) plain.ctx().close();
        if (ledgerServer != null) ledgerServer.close();
    }

    @Test
    void bothModesAnswerTheSameForEveryExampleLoadedTwice() throws Exception {
        assertThat(examples).as("the examples of the folder").hasSize(COUNT);
        List<String> differences = new ArrayList<>();
        List<String> loaded = new ArrayList<>();
        for (int load = 1; load <= 2; load++) {
            for (Example e : examples) {
                HttpResponse<String> p = put(plain, e);
                HttpResponse<String> l = put(ledger, e);
                Refusal refusal = LEDGER_REFUSES.get(e.ref());
                if (load == 2 && e.ref().startsWith("AuditEvent/")) {
                    if (!SECOND_AUDIT_EVENT_PUT.is(p) || !SECOND_AUDIT_EVENT_PUT.is(l)) {
                        differences.add(e.file() + " load 2: plain " + p.statusCode() + " " + brief(p) + " / ledger "
                                + l.statusCode() + " " + brief(l) + ", expected " + SECOND_AUDIT_EVENT_PUT);
                    }
                    continue;
                }
                boolean same =
                        refusal == null ? p.statusCode() == l.statusCode() : p.statusCode() / 100 == 2 && refusal.is(l);
                if (!same) {
                    differences.add(e.file() + " load " + load + ": plain " + p.statusCode() + " " + brief(p)
                            + " / ledger " + l.statusCode() + " " + brief(l));
                    continue;
                }
                if (load == 1 && l.statusCode() / 100 == 2 && p.statusCode() / 100 == 2) loaded.add(e.ref());
                if (load == 1 && l.statusCode() / 100 != 2)
                    System.out.println("not stored: " + e.file() + " " + l.statusCode());
                if (load == 2 && loaded.contains(e.ref())) {
                    // a no-op update: 200 with the version the first load made, in both modes
                    for (var r : List.of(Map.entry("plain", p), Map.entry("ledger", l))) {
                        String version = JSON.readTree(r.getValue().body())
                                .at("/meta/versionId")
                                .asText();
                        if (r.getValue().statusCode() != 200 || !"1".equals(version)) {
                            differences.add(e.file() + " load 2 (" + r.getKey() + "): "
                                    + r.getValue().statusCode() + " version " + version + ", not a no-op");
                        }
                    }
                }
            }
        }
        assertThat(differences)
                .as("differences between plain HAPI and the ledger mode")
                .isEmpty();
        assertThat(loaded.size()).as("examples stored in both modes").isGreaterThan(examples.size() * 3 / 4);

        // reads: the same content, but for what each server adds to meta
        List<String> reads = new ArrayList<>();
        for (String ref : loaded) {
            HttpResponse<String> p = get(plain, "/" + ref);
            HttpResponse<String> l = get(ledger, "/" + ref);
            if (ref.startsWith("OperationDefinition/")) {
                // HAPI's own bug, in both modes alike (upstream hapi-fhir issue 7714): a read of a stored
                // OperationDefinition is routed to the CapabilityStatement provider, which knows only the server's own
                // operations and answers 404 HAPI-2249. The stored resource is compared as a search by _id finds it.
                if (!UNREADABLE_OPERATION_DEFINITION.is(p) || !UNREADABLE_OPERATION_DEFINITION.is(l)) {
                    reads.add(ref + ": plain " + p.statusCode() + " / ledger " + l.statusCode() + ", expected "
                            + UNREADABLE_OPERATION_DEFINITION);
                }
                String search = "/OperationDefinition?_id=" + ref.substring(ref.indexOf('/') + 1);
                p = entry(get(plain, search));
                l = entry(get(ledger, search));
            }
            if (p.statusCode() != 200 || l.statusCode() != 200) {
                reads.add(ref + ": plain " + p.statusCode() + " " + brief(p) + " / ledger " + l.statusCode() + " "
                        + brief(l));
            } else if (!comparable(l).equals(comparable(p))) {
                reads.add(ref + ": plain " + comparable(p) + " / ledger " + comparable(l));
            } else if (!"1".equals(JSON.readTree(l.body()).at("/meta/versionId").asText())) {
                reads.add(ref + ": ledger version "
                        + JSON.readTree(l.body()).at("/meta/versionId").asText());
            }
        }
        assertThat(reads).as("reads of the stored examples").isEmpty();
        assertThat(integrityAlarms())
                .as("integrity-failure AuditEvents in the ledger mode")
                .isZero();

        // $verify of a sample (every fifth stored example, in file order): verified once anchored
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < loaded.size(); i += 5) sample.add(loaded.get(i));
        ledgerServer.awaitBacklogEmpty(Duration.ofSeconds(120));
        Map<String, String> last = new TreeMap<>();
        PipelineServer.await(
                () -> {
                    for (String ref : sample) {
                        if ("verified".equals(last.get(ref))) continue;
                        HttpResponse<String> v = get(ledger, "/" + ref + "/$verify");
                        last.put(ref, v.statusCode() + " " + status(v));
                        if (v.statusCode() == 200 && "verified".equals(status(v))) last.put(ref, "verified");
                    }
                    return last.values().stream().allMatch("verified"::equals);
                },
                Duration.ofSeconds(120),
                "$verify of " + sample + " says verified (last answers " + last + ")");
        assertThat(integrityAlarms()).isZero();
    }

    /** The single resource of a search answer as if read (status 200 and the entry's resource as the body). */
    static HttpResponse<String> entry(HttpResponse<String> searched) throws IOException {
        JsonNode entries = JSON.readTree(searched.body()).path("entry");
        if (searched.statusCode() != 200 || entries.size() != 1) return searched;
        String body = entries.get(0).path("resource").toString();
        return new HttpResponse<>() {
            @Override
            public int statusCode() {
                return 200;
            }

            @Override
            public HttpRequest request() {
                return searched.request();
            }

            @Override
            public java.util.Optional<HttpResponse<String>> previousResponse() {
                return java.util.Optional.empty();
            }

            @Override
            public java.net.http.HttpHeaders headers() {
                return searched.headers();
            }

            @Override
            public String body() {
                return body;
            }

            @Override
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
                return java.util.Optional.empty();
            }

            @Override
            public URI uri() {
                return searched.uri();
            }

            @Override
            public HttpClient.Version version() {
                return searched.version();
            }
        };
    }

    // ---- the examples

    /** The set described at {@link #PER_TYPE}, in file-name order, each as the JSON a client sends. */
    static List<Example> examples() throws IOException {
        URL folder = OfficialExamplesParityTest.class.getClassLoader().getResource(FOLDER);
        assertThat(folder).as("fhir-test-cases on the test class path").isNotNull();
        List<String> names = new ArrayList<>();
        try (JarFile jar = ((JarURLConnection) folder.openConnection()).getJarFile()) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                String n = entry.getName();
                if (n.startsWith(FOLDER)
                        && (n.endsWith(".json") || n.endsWith(".xml"))
                        && n.indexOf('/', FOLDER.length()) < 0) {
                    names.add(n);
                }
            }
        }
        Collections.sort(names);
        Map<String, Example> byRef = new LinkedHashMap<>();
        Map<String, Integer> perType = new HashMap<>();
        for (String name : names) {
            String text;
            try (InputStream in =
                    OfficialExamplesParityTest.class.getClassLoader().getResourceAsStream(name)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            IParser parser = name.endsWith(".json") ? FHIR.newJsonParser() : FHIR.newXmlParser();
            IBaseResource resource = parser.parseResource(text);
            String type = FHIR.getResourceType(resource);
            String id = resource.getIdElement().getIdPart();
            if (id == null) continue; // (Parameters) nothing to PUT to
            String ref = type + "/" + id;
            if (byRef.containsKey(ref) || perType.getOrDefault(type, 0) >= PER_TYPE) continue;
            perType.merge(type, 1, Integer::sum);
            byRef.put(
                    ref,
                    new Example(
                            name.substring(FOLDER.length()),
                            ref,
                            FHIR.newJsonParser().encodeResourceToString(resource)));
        }
        return new ArrayList<>(byRef.values());
    }

    // ---- comparing

    /** The resource as read, without what a server adds: versionId, lastUpdated, the request's source. */
    static JsonNode comparable(HttpResponse<String> r) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(r.body());
        if (json.get("meta") instanceof ObjectNode meta) {
            meta.remove(List.of("versionId", "lastUpdated", "source"));
            if (meta.isEmpty()) json.remove("meta");
        }
        return json;
    }

    static long integrityAlarms() {
        ledgerServer.catchUpAudits();
        return ledgerServer
                .jdbc()
                .queryForObject(
                        "select count(*) from HFJ_RES_VER where RES_TYPE = 'AuditEvent'"
                                + " and RES_TEXT_VC like '%integrity check failed%'",
                        Long.class);
    }

    static String status(HttpResponse<String> r) {
        try {
            for (JsonNode p : JSON.readTree(r.body()).path("parameter")) {
                if ("status".equals(p.path("name").asText()))
                    return p.path("valueCode").asText(p.path("valueString").asText());
            }
        } catch (IOException e) {
            return "unparsable";
        }
        return "none";
    }

    static String brief(HttpResponse<String> r) {
        if (r.statusCode() / 100 == 2) return "";
        try {
            ArrayNode issues = (ArrayNode) JSON.readTree(r.body()).path("issue");
            return issues.isEmpty()
                    ? r.body()
                    : issues.get(0).path("diagnostics").asText();
        } catch (Exception e) {
            return r.body().length() > 200 ? r.body().substring(0, 200) : r.body();
        }
    }

    // ---- HTTP

    static HttpResponse<String> put(Mode mode, Example e) {
        return send(mode, "PUT", "/" + e.ref(), e.json());
    }

    static HttpResponse<String> get(Mode mode, String path) {
        return send(mode, "GET", path, null);
    }

    static HttpResponse<String> send(Mode mode, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(mode.base() + path))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + mode.token())
                .header("Accept", "application/fhir+json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/fhir+json");
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
