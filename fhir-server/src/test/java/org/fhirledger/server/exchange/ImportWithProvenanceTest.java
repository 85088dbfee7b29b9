package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.server.exchange.RetrievalTest.id;
import static org.fhirledger.server.exchange.RetrievalTest.requestor;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Import with Provenance between two real servers on one chain, set up as {@link RetrievalTest} does: member A is this
 * test's server, member B the shared second full server on A's contracts ({@link MemberServer#shared}, on
 * PostgreSQL), A's directory entry naming a pass-through proxy that can alter bodies in transit. B's clinician imports what A holds for the patient through
 * {@code Patient/{id}/$import-remote}; anyone who may see a copy checks it with {@code Provenance/{id}/$verify-import}.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImportWithProvenanceTest extends ServerTestBase {

    private static final String NS = "https://fhir-ledger.org/StructureDefinition/";

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    @Autowired
    Pseudonyms pseudonyms;

    @Autowired
    ConsortiumPseudonyms consortium;

    @Autowired
    ExchangeProperties exchange;

    Web3j web3j;
    Credentials bKey;
    PipelineServer b;
    RetrievalTest.Proxy proxy;
    String aBaseInDirectory;
    Bytes32 shared;

    String nationalId = "NID-" + UUID.randomUUID();
    String patientAtA;
    String observationAtA;
    String conditionAtA;
    String patientAtB;
    /** B's clinicians: one who may read and write the patient's data at B, one who may only read it, one neither. */
    String writer;

    String writerToken;
    String readerToken;
    String partialToken;
    String outsiderToken;

    /** What the happy path stored: the copy's id at B and its Provenance's. */
    String copy;

    String provenance;

    @BeforeAll
    void twoMembers() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        Institution self = view.member(ledger.account()).orElseThrow();
        aBaseInDirectory = self.fhirBaseUrl();
        proxy = new RetrievalTest.Proxy(baseUrl().replaceAll("/fhir$", ""));
        directory.updateSelf(proxy.base() + "/fhir", self.authKeyJwk());

        MemberServer.Member member = MemberServer.shared(dataDir(), directory, view);
        bKey = member.key();
        b = member.server();
        view.invalidate(); // A's copy of its own entry names the proxy now

        String patientJson = "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\""
                + exchange.patientIdentifierSystem() + "\",\"value\":\"" + nationalId + "\"}],"
                + "\"name\":[{\"family\":\"Imported\"}]}";
        patientAtA = id(post(bearerToken(), "/Patient", patientJson));
        observationAtA = id(post(bearerToken(), "/Observation", observation(null, "probe")));
        patientAtB = id(callB("POST", b.token(), "/Patient", patientJson));

        DevTokens.Minted w = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/import-1");
        DevTokens.Minted r = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/import-2");
        writer = w.ledgerAddress();
        writerToken = w.token();
        readerToken = r.token();
        outsiderToken = DevTokens.mint(b.dataDir, Role.CLINICIAN, "Practitioner/import-3");
        DevTokens.Minted p = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/import-4");
        partialToken = p.token();
        Instant until = Instant.now().plus(Duration.ofHours(1));
        Pseudonyms bPseudonyms = b.ctx.getBean(Pseudonyms.class);
        b.ledger()
                .grantConsent(
                        bPseudonyms.of("Patient", patientAtB),
                        writer,
                        ConsentAction.READ.bit() | ConsentAction.WRITE.bit(),
                        ResourceTypes.ALL,
                        until);
        b.ledger()
                .grantConsent(
                        bPseudonyms.of("Patient", patientAtB),
                        r.ledgerAddress(),
                        ConsentAction.READ.bit(),
                        ResourceTypes.ALL,
                        until);
        b.ledger()
                .grantConsent(
                        bPseudonyms.of("Patient", patientAtB),
                        p.ledgerAddress(),
                        ConsentAction.READ.bit() | ConsentAction.WRITE.bit(),
                        ResourceTypes.maskOf(List.of("Patient", "Observation")),
                        until);
        for (String clinician : List.of(writer, r.ledgerAddress(), p.ledgerAddress())) {
            ledger.grantConsent(
                    pseudonyms.of("Patient", patientAtA),
                    clinician,
                    ConsentAction.READ.bit(),
                    ResourceTypes.ALL,
                    until);
        }
        shared = consortium
                .ofPatient(new Patient()
                        .addIdentifier(new Identifier()
                                .setSystem(exchange.patientIdentifierSystem())
                                .setValue(nationalId)))
                .orElseThrow();
        PipelineServer.await(
                () -> ledger.recordsOfPatient(ledger.account(), shared).size() >= 2,
                Duration.ofSeconds(30),
                "A's versions were not recorded");
    }

    @AfterAll
    void stop() {
        try {
            Institution self = view.member(ledger.account()).orElseThrow();
            directory.updateSelf(aBaseInDirectory, self.authKeyJwk());
            view.invalidate();
        } finally {
            if (proxy != null) proxy.stop();
            web3j.shutdown();
        }
    }

    @Test
    @Order(1)
    void verifiedVersionsAreStoredAsCopiesWithProvenanceRecordedAuditedAndCheckable() throws Exception {
        int recordedAtB = b.ledger().recordsOfPatient(bKey.getAddress(), shared).size();
        JsonNode answer = importUntil(
                writerToken, "Observation", a -> copies(a, "Observation").size() == 1);
        JsonNode stored = copies(answer, "Observation").get(0);
        copy = stored.path("id").asText();
        assertThat(copy).isNotEqualTo(observationAtA);
        assertThat(stored.at("/subject/reference").asText()).isEqualTo("Patient/" + patientAtB);
        assertThat(stored.at("/code/text").asText()).isEqualTo("probe");

        JsonNode prov = copies(answer, "Provenance").get(0);
        provenance = prov.path("id").asText();
        List<String> targets = new ArrayList<>();
        prov.path("target").forEach(t -> targets.add(t.path("reference").asText()));
        assertThat(targets).containsExactlyInAnyOrder("Observation/" + copy + "/_history/1", "Patient/" + patientAtB);
        assertThat(prov.path("recorded").asText()).isNotBlank();
        JsonNode entity = prov.at("/entity/0");
        assertThat(entity.path("role").asText()).isEqualTo("source");
        String sourceUrl = proxy.base() + "/fhir/Observation/" + observationAtA + "/_history/1";
        assertThat(entity.at("/what/identifier/value").asText()).isEqualTo(sourceUrl);
        assertThat(extension(entity, "import-source-custodian")
                        .path("valueString")
                        .asText())
                .isEqualToIgnoringCase(ledger.account());
        byte[] form = Base64.getDecoder()
                .decode(extension(entity, "import-source-stored-form")
                        .path("valueBase64Binary")
                        .asText());
        assertThat(extension(entity, "import-source-content-hash")
                        .path("valueString")
                        .asText())
                .isEqualTo(CanonicalResource.contentHash(form).toHex());
        assertThat(new String(form, StandardCharsets.UTF_8)).contains("Patient/" + patientAtA);
        assertThat(prov.toString()).containsIgnoringCase(writer);

        // stored at B: the clinician finds the copy and its Provenance among the patient's data
        JsonNode found = body(callB("GET", writerToken, "/Observation?patient=Patient/" + patientAtB, null));
        assertThat(copies(found, "Observation")).hasSize(1);
        assertThat(provenances()).isEqualTo(1);

        // B's chain records the copy and the Provenance under the patient, B's audit sees the creates
        PipelineServer.await(
                () -> b.ledger().recordsOfPatient(bKey.getAddress(), shared).size() >= recordedAtB + 2,
                Duration.ofSeconds(30),
                "B did not record the copy and its Provenance");
        JsonNode created = RetrievalTest.event(
                () -> callB("GET", b.token(), "/AuditEvent?_sort=-date&_count=200", null),
                ev -> requestor(ev).equalsIgnoreCase(writer)
                        && "C".equals(ev.path("action").asText())
                        && ev.toString().contains("Observation/" + copy));
        assertThat(created.path("outcome").asText()).isEqualTo("0");

        JsonNode check = verify(writerToken, provenance);
        assertThat(param(check, "result").path("valueBoolean").asBoolean())
                .as(check.toString())
                .isTrue();
        assertThat(param(check, "source").path("valueUri").asText()).isEqualTo(sourceUrl);
    }

    @Test
    @Order(2)
    void aVersionAlteredOnTheWayIsNotStored() throws Exception {
        conditionAtA = id(post(
                bearerToken(),
                "/Condition",
                "{\"resourceType\":\"Condition\",\"code\":{\"text\":\"probe condition\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}"));
        PipelineServer.await(
                () -> ledger.recordsOfPatient(ledger.account(), shared).size() >= 3,
                Duration.ofSeconds(30),
                "A's Condition was not recorded");
        proxy.tamper.set(true); // "probe" becomes "prob3" in what A sends
        try {
            HttpResponse<String> r = importRemote(writerToken, "Condition");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(copies(body(r), "Condition")).isEmpty();
            assertThat(outcome(r).toString())
                    .contains("Condition/" + conditionAtA + "/_history/1")
                    .contains("does not match");
        } finally {
            proxy.tamper.set(false);
        }
        JsonNode conditions = body(callB("GET", writerToken, "/Condition?patient=Patient/" + patientAtB, null));
        assertThat(copies(conditions, "Condition")).isEmpty();
        assertThat(conditions.toString()).doesNotContain("prob3");
        assertThat(provenances()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void importingTheSameVersionAgainStoresNothing() throws Exception {
        HttpResponse<String> r = importRemote(writerToken, "Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(copies(body(r), "Observation")).isEmpty();
        assertThat(outcome(r).toString()).contains("already here as Observation/" + copy);
        JsonNode current = body(callB("GET", writerToken, "/Observation/" + copy, null));
        assertThat(current.at("/meta/versionId").asText()).isEqualTo("1");
        assertThat(provenances()).isEqualTo(1);
    }

    @Test
    @Order(4)
    void aNewerVersionAtAUpdatesTheCopyWithANewProvenance() throws Exception {
        HttpResponse<String> updated = put(
                bearerToken(), "/Observation/" + observationAtA, observation(observationAtA, "probe, second reading"));
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        JsonNode answer = importUntil(
                writerToken, "Observation", a -> copies(a, "Observation").size() == 1);
        JsonNode stored = copies(answer, "Observation").get(0);
        assertThat(stored.path("id").asText()).isEqualTo(copy);
        assertThat(stored.at("/meta/versionId").asText()).isEqualTo("2");
        assertThat(stored.at("/code/text").asText()).isEqualTo("probe, second reading");
        String newer = copies(answer, "Provenance").get(0).path("id").asText();
        assertThat(newer).isNotEqualTo(provenance);
        assertThat(copies(answer, "Provenance")
                        .get(0)
                        .at("/entity/0/what/identifier/value")
                        .asText())
                .endsWith("/Observation/" + observationAtA + "/_history/2");
        assertThat(provenances()).isEqualTo(2);
        assertThat(param(verify(writerToken, newer), "result")
                        .path("valueBoolean")
                        .asBoolean())
                .isTrue();
        // the first import's Provenance no longer describes the copy as it is
        JsonNode old = verify(writerToken, provenance);
        assertThat(param(old, "result").path("valueBoolean").asBoolean()).isFalse();
        assertThat(param(old, "reason").path("valueString").asText()).contains("changed after this import");
        provenance = newer;
    }

    @Test
    @Order(5)
    void aClinicianWhoCouldNotCreateTheCopiesHereStoresNothing() throws Exception {
        // the reader may read the patient's data here and at A, not write it here
        HttpResponse<String> r = importUntilStatus(readerToken, "Condition,Observation", 403);
        assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        JsonNode conditions = body(callB("GET", writerToken, "/Condition?patient=Patient/" + patientAtB, null));
        assertThat(copies(conditions, "Condition")).isEmpty();
        assertThat(provenances()).isEqualTo(2);
        // the writer may: the Condition is stored, and the Observation is already there
        JsonNode answer = importUntil(
                writerToken,
                "Condition,Observation",
                a -> copies(a, "Condition").size() == 1);
        assertThat(copies(answer, "Observation")).isEmpty();
        assertThat(provenances()).isEqualTo(3);
    }

    /**
     * All or nothing: a clinician who may write Observations of the patient here but no Provenance gets the copy's
     * update through and the Provenance refused, and the update is gone with it.
     */
    @Test
    @Order(6)
    void aRefusalMidWayLeavesNothing() throws Exception {
        HttpResponse<String> updated = put(
                bearerToken(), "/Observation/" + observationAtA, observation(observationAtA, "probe, third reading"));
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        HttpResponse<String> r = importUntilStatus(partialToken, "Observation", 403);
        assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(r.body()).contains("Provenance");
        JsonNode current = body(callB("GET", writerToken, "/Observation/" + copy, null));
        assertThat(current.at("/meta/versionId").asText()).isEqualTo("2");
        assertThat(current.at("/code/text").asText()).isEqualTo("probe, second reading");
        assertThat(provenances()).isEqualTo(3);
        assertThat(param(verify(writerToken, provenance), "result")
                        .path("valueBoolean")
                        .asBoolean())
                .isTrue();
    }

    @Test
    @Order(7)
    void theProvenanceIsHiddenFromAClinicianWithoutThePatientsConsentHere() {
        assertThat(callB("GET", writerToken, "/Provenance/" + provenance, null).statusCode())
                .isEqualTo(200);
        HttpResponse<String> read = callB("GET", outsiderToken, "/Provenance/" + provenance, null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(404);
        assertThat(read.body()).doesNotContain("import-source");
        HttpResponse<String> search = callB("GET", outsiderToken, "/Provenance?patient=Patient/" + patientAtB, null);
        assertThat(search.body()).doesNotContain("import-source");
        HttpResponse<String> check = callB("GET", outsiderToken, "/Provenance/" + provenance + "/$verify-import", null);
        assertThat(check.statusCode()).as(check.body()).isEqualTo(404);
        assertThat(check.body()).doesNotContain("import-source").doesNotContain("probe");
    }

    @Test
    @Order(8)
    void aCopyAlteredHereAfterTheImportFailsTheCheck() throws Exception {
        JsonNode current = body(callB("GET", writerToken, "/Observation/" + copy, null));
        String altered = current.toString().replace("probe, second reading", "probe, edited at B");
        HttpResponse<String> r = callB("PUT", writerToken, "/Observation/" + copy, altered);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode check = verify(writerToken, provenance);
        assertThat(param(check, "result").path("valueBoolean").asBoolean()).isFalse();
        assertThat(param(check, "reason").path("valueString").asText()).contains("changed after this import");
    }

    /**
     * A Provenance written at B in the shape of an import's, but not true to it: each check fails with its reason —
     * the copy's content (target moved to the version changed at B), the kept bytes (altered, hash kept), the member's
     * entry (altered bytes with their own hash).
     */
    @Test
    @Order(9)
    void aProvenanceNotTrueToTheImportFailsTheCheckWithItsReason() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode original = (com.fasterxml.jackson.databind.node.ObjectNode)
                body(callB("GET", writerToken, "/Provenance/" + provenance, null));
        original.remove("id");
        original.remove("meta");
        String current = body(callB("GET", writerToken, "/Observation/" + copy, null))
                .at("/meta/versionId")
                .asText();
        String movedTarget = original.toString()
                .replace("Observation/" + copy + "/_history/2", "Observation/" + copy + "/_history/" + current);
        assertThat(reasonOf(movedTarget)).contains("differs from the member's version");

        JsonNode entity = original.at("/entity/0");
        String form = extension(entity, "import-source-stored-form")
                .path("valueBase64Binary")
                .asText();
        byte[] altered = new String(Base64.getDecoder().decode(form), StandardCharsets.UTF_8)
                .replace("second reading", "second readinG")
                .getBytes(StandardCharsets.UTF_8);
        String alteredForm = Base64.getEncoder().encodeToString(altered);
        assertThat(reasonOf(original.toString().replace(form, alteredForm))).contains("does not hash");
        String hash = extension(entity, "import-source-content-hash")
                .path("valueString")
                .asText();
        String rehashed = original.toString()
                .replace(form, alteredForm)
                .replace(hash, CanonicalResource.contentHash(altered).toHex());
        assertThat(reasonOf(rehashed)).contains("recorded no entry");
    }

    String reasonOf(String provenanceJson) {
        String forged = id(callB("POST", writerToken, "/Provenance", provenanceJson));
        JsonNode check = verify(writerToken, forged);
        assertThat(param(check, "result").path("valueBoolean").asBoolean())
                .as(check.toString())
                .isFalse();
        return param(check, "reason").path("valueString").asText();
    }

    @Test
    @Order(10)
    void badInputIsA4xxOperationOutcome() {
        String path = "/Patient/" + patientAtB + "/$import-remote";
        for (String parameters : List.of(
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"_type\",\"valueString\":\"Observation\"}]}",
                params(ledger.account(), null),
                params(ledger.account(), "Patient"),
                params(ledger.account(), "Observation;drop"),
                params(ledger.account(), "Organization"),
                params(b.ctx.getBean(ConsortiumView.class).self(), "Observation"))) {
            HttpResponse<String> r = callB("POST", writerToken, path, parameters);
            assertThat(r.statusCode()).as(parameters + " " + r.body()).isEqualTo(400);
            assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        }
        HttpResponse<String> unknown = callB("POST", writerToken, path, params("urn:oid:0.0.0", "Observation"));
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        // the custodian is no clinician: it does not import for itself
        HttpResponse<String> custodian = callB("POST", b.token(), path, params(ledger.account(), "Observation"));
        assertThat(custodian.statusCode()).as(custodian.body()).isEqualTo(403);
        HttpResponse<String> missing = callB("GET", writerToken, "/Provenance/no-such/$verify-import", null);
        assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
        assertThat(body(missing).path("resourceType").asText()).isEqualTo("OperationOutcome");
    }

    /**
     * Two imports of the same new version at once (a double click, two replicas): both retrieve and verify it, one
     * stores it, the other finds that copy under the import lock and stores nothing.
     */
    @Test
    @Order(11)
    void twoConcurrentImportsOfTheSameNewVersionStoreOneCopy() throws Exception {
        int recorded = ledger.recordsOfPatient(ledger.account(), shared).size();
        String fresh = id(post(
                bearerToken(),
                "/Condition",
                "{\"resourceType\":\"Condition\",\"code\":{\"text\":\"probe, imported twice at once\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}"));
        PipelineServer.await(
                () -> ledger.recordsOfPatient(ledger.account(), shared).size() > recorded,
                Duration.ofSeconds(30),
                "A's new Condition was not recorded");
        int conditionsBefore = copies(
                        body(callB("GET", writerToken, "/Condition?patient=Patient/" + patientAtB, null)), "Condition")
                .size();
        int before = provenances();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    return importRemote(writerToken, "Condition");
                }));
            }
            go.countDown();
            int stored = 0;
            for (Future<HttpResponse<String>> call : calls) {
                HttpResponse<String> r = call.get(2, TimeUnit.MINUTES);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                stored += copies(body(r), "Condition").size();
            }
            assertThat(stored).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        JsonNode conditions = body(callB("GET", writerToken, "/Condition?patient=Patient/" + patientAtB, null));
        List<JsonNode> copiesOfFresh = copies(conditions, "Condition").stream()
                .filter(c -> c.toString().contains("/Condition/" + fresh + "\""))
                .toList();
        assertThat(copiesOfFresh).hasSize(1);
        assertThat(copiesOfFresh.get(0).at("/meta/versionId").asText()).isEqualTo("1");
        assertThat(copies(conditions, "Condition")).hasSize(conditionsBefore + 1);
        assertThat(provenances()).isEqualTo(before + 1);
    }

    // ---- helpers

    String observation(String id, String text) {
        return "{\"resourceType\":\"Observation\"," + (id == null ? "" : "\"id\":\"" + id + "\",")
                + "\"status\":\"final\",\"code\":{\"text\":\"" + text + "\"},"
                + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}";
    }

    static String params(String member, String types) {
        return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"member\",\"valueString\":\"" + member
                + "\"}" + (types == null ? "" : ",{\"name\":\"_type\",\"valueString\":\"" + types + "\"}") + "]}";
    }

    HttpResponse<String> importRemote(String token, String types) {
        return callB("POST", token, "/Patient/" + patientAtB + "/$import-remote", params(ledger.account(), types));
    }

    /** Consent and A's entries reach B through chain events: the first answers may predate them. */
    JsonNode importUntil(String token, String types, Predicate<JsonNode> done) throws Exception {
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            HttpResponse<String> r = importRemote(token, types);
            if (r.statusCode() == 200 && done.test(body(r))) return body(r);
            assertThat(Instant.now()).as(r.statusCode() + " " + r.body()).isBefore(until);
            Thread.sleep(300);
        }
    }

    HttpResponse<String> importUntilStatus(String token, String types, int status) throws Exception {
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            HttpResponse<String> r = importRemote(token, types);
            if (r.statusCode() == status) return r;
            // consent not seen here yet (404), or nothing there yet for the caller: never a stored copy
            assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
            if (r.statusCode() == 200) {
                for (JsonNode e : body(r).path("entry")) {
                    assertThat(e.at("/resource/resourceType").asText()).isEqualTo("OperationOutcome");
                }
            }
            assertThat(Instant.now()).as(r.statusCode() + " " + r.body()).isBefore(until);
            Thread.sleep(300);
        }
    }

    JsonNode verify(String token, String provenanceId) {
        HttpResponse<String> r = callB("GET", token, "/Provenance/" + provenanceId + "/$verify-import", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return body(r);
    }

    int provenances() {
        HttpResponse<String> r = callB("GET", writerToken, "/Provenance?patient=Patient/" + patientAtB, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return copies(body(r), "Provenance").size();
    }

    HttpResponse<String> callB(String method, String token, String path, String body) {
        return HttpProbe.request(method, b.baseUrl() + path, HttpProbe.bearer(token), body);
    }

    static List<JsonNode> copies(JsonNode bundle, String type) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : bundle.path("entry")) {
            if (type.equals(e.at("/resource/resourceType").asText())) out.add(e.path("resource"));
        }
        return out;
    }

    static JsonNode outcome(HttpResponse<String> r) {
        List<JsonNode> found = copies(body(r), "OperationOutcome");
        assertThat(found).as(r.body()).hasSize(1);
        return found.get(0);
    }

    static JsonNode extension(JsonNode element, String name) {
        for (JsonNode e : element.path("extension")) {
            if ((NS + name).equals(e.path("url").asText())) return e;
        }
        throw new AssertionError("no extension " + name + " in " + element);
    }

    static JsonNode param(JsonNode parameters, String name) {
        for (JsonNode p : parameters.path("parameter")) {
            if (name.equals(p.path("name").asText())) return p;
        }
        return parameters.path("missing");
    }
}
