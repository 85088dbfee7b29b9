package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Retrieval between two real servers on one chain: member A is this test's server (the H2 API suites' context), member
 * B a second full server ({@link MemberServer#shared}) on its own PostgreSQL database and data directory, using A's
 * contracts (one consortium: one directory, one registry, one record ledger) with its own key, admitted by governance. B's clinician fetches the
 * patient's records A holds through B's {@code Patient/{id}/$fetch-remote}; B checks each version against A's entries
 * on chain. A's directory entry names a pass-through proxy in front of A (a real HTTP hop): the test makes it alter a
 * body in transit (what a compromised A or path would do, past A's own check on read) or go down.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetrievalTest extends ServerTestBase {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ORG_B = MemberServer.ORGANIZATION;

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

    @Autowired
    JdbcTemplate aJdbc;

    Web3j web3j;
    MemberServer.Member member;
    Credentials bKey;
    PipelineServer b;
    Proxy proxy;
    String aBaseInDirectory;

    String nationalId = "NID-" + UUID.randomUUID();
    String patientAtA;
    String observationAtA;
    String patientAtB;
    /** B's clinician with the patient's consent at B and at A; one with consent at B only; one with none. */
    String consented;

    String consentedToken;
    String onlyAtB;
    String onlyAtBToken;
    String nowhereToken;

    @BeforeAll
    void twoMembers() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        // A answers other members through a proxy its directory entry names (restored afterwards)
        Institution self = view.member(ledger.account()).orElseThrow();
        aBaseInDirectory = self.fhirBaseUrl();
        proxy = new Proxy(baseUrl().replaceAll("/fhir$", ""));
        directory.updateSelf(proxy.base() + "/fhir", self.authKeyJwk());

        // B: its key, admitted by governance, enrolled as its own custodian, its server on A's contracts
        member = MemberServer.shared(dataDir(), directory, view);
        bKey = member.key();
        b = member.server();
        view.invalidate(); // A's copy of its own entry names the proxy now

        // the same person at both, under their own ids, with the shared identifier
        String patientJson = "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\""
                + exchange.patientIdentifierSystem() + "\",\"value\":\"" + nationalId + "\"}],"
                + "\"name\":[{\"family\":\"Retrieved\"}]}";
        patientAtA = id(post(bearerToken(), "/Patient", patientJson));
        observationAtA = id(post(
                bearerToken(),
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"probe\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}"));
        patientAtB = id(callB("POST", b.token(), "/Patient", patientJson));

        DevTokens.Minted c1 = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/retrieval-1");
        DevTokens.Minted c2 = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/retrieval-2");
        consented = c1.ledgerAddress();
        consentedToken = c1.token();
        onlyAtB = c2.ledgerAddress();
        onlyAtBToken = c2.token();
        nowhereToken = DevTokens.mint(b.dataDir, Role.CLINICIAN, "Practitioner/retrieval-3");
        Instant until = Instant.now().plus(Duration.ofHours(1));
        Pseudonyms bPseudonyms = b.ctx.getBean(Pseudonyms.class);
        for (String clinician : List.of(consented, onlyAtB)) {
            b.ledger()
                    .grantConsent(
                            bPseudonyms.of("Patient", patientAtB),
                            clinician,
                            ConsentAction.READ.bit(),
                            ResourceTypes.ALL,
                            until);
        }
        ledger.grantConsent(
                pseudonyms.of("Patient", patientAtA), consented, ConsentAction.READ.bit(), ResourceTypes.ALL, until);

        // A's versions are on chain under the patient's consortium pseudonym before anyone checks them
        Bytes32 shared = consortium
                .ofPatient(new Patient()
                        .addIdentifier(new org.hl7.fhir.r4.model.Identifier()
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
            // B leaves in aRemovedMemberCannotFetch; the next class using it finds it a member again
            if (member != null) MemberServer.readmit(dataDir(), web3j, directory, view, member);
        } finally {
            if (proxy != null) proxy.stop();
            web3j.shutdown();
        }
    }

    @Test
    @Order(1)
    void bsClinicianGetsAsRecordsEachVersionCheckedAndBothSidesAudit() throws Exception {
        JsonNode bundle = fetchUntil(
                consentedToken,
                "Patient,Observation",
                r -> r.statusCode() == 200 && matches(body(r)).size() == 2);
        assertThat(bundle.path("resourceType").asText()).isEqualTo("Bundle");
        assertThat(bundle.path("type").asText()).isEqualTo("searchset");
        List<String> refs = new ArrayList<>();
        for (JsonNode e : matches(bundle)) {
            refs.add(e.at("/resource/resourceType").asText() + "/"
                    + e.at("/resource/id").asText());
            assertThat(e.path("fullUrl").asText()).startsWith(proxy.base() + "/fhir/");
        }
        assertThat(refs).containsExactlyInAnyOrder("Patient/" + patientAtA, "Observation/" + observationAtA);
        assertThat(bundle.toString()).doesNotContain("\"severity\":\"error\"");

        // A: the clinician from B, with B as the second agent
        JsonNode atA = eventAtA(ev -> requestor(ev).equalsIgnoreCase(consented)
                && ev.toString().contains("Patient/" + patientAtA)
                && "0".equals(ev.path("outcome").asText()));
        JsonNode member = null;
        for (JsonNode agent : atA.path("agent")) {
            if (!agent.path("requestor").asBoolean()) member = agent;
        }
        assertThat(member).as(atA.toString()).isNotNull();
        assertThat(member.at("/who/identifier/value").asText()).isEqualToIgnoringCase(bKey.getAddress());
        assertThat(member.at("/who/display").asText()).isEqualTo(ORG_B);
        assertThat(member.at("/role/0/coding/0/code").asText()).isEqualTo(AuditShape.MEMBER_ROLE);

        // B: the retrieval, by its clinician, from A, of those types
        JsonNode atB = eventAtB(
                ev -> requestor(ev).equalsIgnoreCase(consented) && ev.toString().contains("retrieval from member"));
        assertThat(atB.path("outcome").asText()).isEqualTo("0");
        assertThat(atB.toString())
                .contains("Patient/" + patientAtB)
                .containsIgnoringCase(ledger.account())
                .contains("Patient,Observation");
    }

    @Test
    @Order(2)
    void aVersionAlteredOnTheWayIsLeftOutReportedAndAuditedAsAFailureAtB() throws Exception {
        proxy.tamper.set(true); // "probe" becomes "prob3" in what A sends
        try {
            HttpResponse<String> r = fetch(consentedToken, "Patient,Observation");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode bundle = body(r);
            assertThat(r.body()).doesNotContain("prob3");
            List<String> shown = new ArrayList<>();
            for (JsonNode e : matches(bundle))
                shown.add(e.at("/resource/resourceType").asText());
            assertThat(shown).containsExactly("Patient");
            JsonNode outcome = outcome(bundle);
            assertThat(outcome).as(bundle.toString()).isNotNull();
            assertThat(outcome.toString())
                    .contains("Observation/" + observationAtA + "/_history/1")
                    .contains("does not match");
            JsonNode failure = eventAtB(ev -> requestor(ev).equalsIgnoreCase(consented)
                    && "8".equals(ev.path("outcome").asText()));
            assertThat(failure.toString()).contains("Observation/" + observationAtA + "/_history/1");
        } finally {
            proxy.tamper.set(false);
        }
    }

    @Test
    @Order(3)
    void aVersionAlteredInTheDatabaseAtANeverReachesB() throws Exception {
        String tampered = id(post(
                bearerToken(),
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"Tampered\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}"));
        // recorded and seen verified at A before it is altered
        fetchUntil(
                consentedToken,
                "Observation",
                r -> r.statusCode() == 200 && matches(body(r)).size() == 2);
        int changed = aJdbc.update(
                "update HFJ_RES_VER set RES_TEXT_VC = replace(RES_TEXT_VC, 'Tampered', 'Tampared') "
                        + "where RES_ID = (select RES_ID from HFJ_RESOURCE where FHIR_ID = ? and RES_TYPE = 'Observation')",
                tampered);
        assertThat(changed).isEqualTo(1);
        HttpResponse<String> r = fetch(consentedToken, "Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("Tampared");
        List<String> ids = new ArrayList<>();
        for (JsonNode e : matches(body(r))) ids.add(e.at("/resource/id").asText());
        assertThat(ids).containsExactly(observationAtA);
        // A withholds it itself (its own check on read) and says so; B passes that on
        assertThat(outcome(body(r)).toString()).contains("The member says");
    }

    @Test
    @Order(4)
    void bsClinicianWithoutConsentAtAGetsNothingAndAAuditsIt() throws Exception {
        HttpResponse<String> r = fetch(onlyAtBToken, "Patient,Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(matches(body(r))).isEmpty();
        assertThat(r.body()).doesNotContain("Retrieved").doesNotContain("probe");
        JsonNode atA = eventAtA(ev -> requestor(ev).equalsIgnoreCase(onlyAtB));
        assertThat(atA.toString()).containsIgnoringCase(bKey.getAddress());
    }

    @Test
    @Order(5)
    void withoutConsentAtBNothingIsAskedOfA() throws Exception {
        HttpResponse<String> r = fetch(nowhereToken, "Patient,Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        // B's custodian is no clinician: it does not fetch for itself
        HttpResponse<String> custodian = fetch(b.token(), "Patient");
        assertThat(custodian.statusCode()).as(custodian.body()).isEqualTo(403);
        // bad input: no member, an unknown one, a bad type list
        assertThat(callB("GET", consentedToken, "/Patient/" + patientAtB + "/$fetch-remote", null)
                        .statusCode())
                .isEqualTo(400);
        assertThat(callB("GET", consentedToken, "/Patient/" + patientAtB + "/$fetch-remote?member=urn:oid:0.0.0", null)
                        .statusCode())
                .isEqualTo(404);
        assertThat(callB(
                                "GET",
                                consentedToken,
                                "/Patient/" + patientAtB + "/$fetch-remote?member=" + ledger.account()
                                        + "&_type=Observation;drop",
                                null)
                        .statusCode())
                .isEqualTo(400);
        assertThat(callB(
                                "GET",
                                consentedToken,
                                "/Patient/" + patientAtB + "/$fetch-remote?member=" + ledger.account()
                                        + "&_type=Organization",
                                null)
                        .statusCode())
                .isEqualTo(400);
    }

    /** B leaves the consortium. */
    @Test
    @Order(7)
    void aRemovedMemberCannotFetch() throws Exception {
        TestConsortium.remove(dataDir(), web3j, directory, bKey.getAddress());
        view.invalidate();
        HttpResponse<String> r = fetch(consentedToken, "Patient,Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(r.body()).doesNotContain("Retrieved").doesNotContain("probe");
    }

    /** Last: A's server cannot be reached (its proxy stops). */
    @Test
    @Order(8)
    void aMemberThatCannotBeReachedIsA503AtB() {
        proxy.stop();
        HttpResponse<String> r = fetch(consentedToken, "Patient,Observation");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(r.body()).doesNotContain("Retrieved");
    }

    // ---- helpers

    HttpResponse<String> fetch(String token, String types) {
        return callB(
                "GET",
                token,
                "/Patient/" + patientAtB + "/$fetch-remote?member=" + ledger.account() + "&_type=" + types,
                null);
    }

    /** Consent reaches both servers' caches through chain events: the first answers may predate it. */
    JsonNode fetchUntil(String token, String types, Predicate<HttpResponse<String>> done) throws Exception {
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            HttpResponse<String> r = fetch(token, types);
            if (done.test(r)) return body(r);
            assertThat(Instant.now()).as(r.statusCode() + " " + r.body()).isBefore(until);
            Thread.sleep(300);
        }
    }

    HttpResponse<String> callB(String method, String token, String path, String body) {
        return HttpProbe.request(method, b.baseUrl() + path, HttpProbe.bearer(token), body);
    }

    static List<JsonNode> matches(JsonNode bundle) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : bundle.path("entry")) {
            if ("match".equals(e.at("/search/mode").asText())) out.add(e);
        }
        return out;
    }

    static JsonNode outcome(JsonNode bundle) {
        for (JsonNode e : bundle.path("entry")) {
            if ("outcome".equals(e.at("/search/mode").asText())) return e.path("resource");
        }
        return null;
    }

    static String requestor(JsonNode event) {
        for (JsonNode agent : event.path("agent")) {
            if (agent.path("requestor").asBoolean())
                return agent.at("/who/identifier/value").asText("");
        }
        return "";
    }

    JsonNode eventAtA(Predicate<JsonNode> wanted) throws Exception {
        return event(() -> get(bearerToken(), "/AuditEvent?_sort=-date&_count=200"), wanted);
    }

    JsonNode eventAtB(Predicate<JsonNode> wanted) throws Exception {
        return event(() -> callB("GET", b.token(), "/AuditEvent?_sort=-date&_count=200", null), wanted);
    }

    /** The newest AuditEvent that fits (written before the answer, or soon after). */
    static JsonNode event(java.util.function.Supplier<HttpResponse<String>> search, Predicate<JsonNode> wanted)
            throws Exception {
        Instant until = Instant.now().plus(Duration.ofSeconds(10));
        while (true) {
            HttpResponse<String> r = search.get();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            for (JsonNode e : body(r).path("entry")) {
                if (wanted.test(e.path("resource"))) return e.path("resource");
            }
            assertThat(Instant.now()).as("no such AuditEvent").isBefore(until);
            Thread.sleep(200);
        }
    }

    static String id(HttpResponse<String> created) {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return body(created).path("id").asText();
    }

    /**
     * A pass-through HTTP proxy in front of A (A's directory entry names it). Told to, it alters what A sends
     * ({@code probe} → {@code prob3}), as a compromised server or path would after A's own check.
     */
    static final class Proxy {
        final AtomicBoolean tamper = new AtomicBoolean();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final String target;
        private final HttpServer server;

        Proxy(String target) throws IOException {
            this.target = target;
            this.server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
            server.createContext("/", this::forward);
            server.start();
        }

        String base() {
            return "http://localhost:" + server.getAddress().getPort();
        }

        void stop() {
            if (stopped.compareAndSet(false, true)) server.stop(0);
        }

        private void forward(HttpExchange x) throws IOException {
            try (x) {
                HttpRequest.Builder out = HttpRequest.newBuilder(
                                URI.create(target + x.getRequestURI().toString()))
                        .timeout(Duration.ofSeconds(60))
                        .method(
                                x.getRequestMethod(),
                                HttpRequest.BodyPublishers.ofByteArray(
                                        x.getRequestBody().readAllBytes()));
                for (String h : List.of("Authorization", "Content-Type", "Accept")) {
                    String v = x.getRequestHeaders().getFirst(h);
                    if (v != null) out.header(h, v);
                }
                HttpResponse<byte[]> in = HTTP.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
                byte[] body = in.body();
                if (tamper.get()) {
                    body = new String(body, StandardCharsets.UTF_8)
                            .replace("probe", "prob3")
                            .getBytes(StandardCharsets.UTF_8);
                }
                in.headers()
                        .firstValue("Content-Type")
                        .ifPresent(v -> x.getResponseHeaders().set("Content-Type", v));
                x.sendResponseHeaders(in.statusCode(), body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    try (OutputStream os = x.getResponseBody()) {
                        os.write(body);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
