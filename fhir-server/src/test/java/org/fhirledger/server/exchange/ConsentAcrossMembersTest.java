package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
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
 * A patient here consents, with a FHIR Consent naming a clinician by ledger account, to a clinician of member B (its
 * own key in the directory on the real chain); B's clinician then reads the patient through a member token, and no
 * longer once the Consent is made inactive or deleted. A Consent naming an account that is no clinician of an active
 * member is refused whole and grants nothing.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsentAcrossMembersTest extends ServerTestBase {

    /** The default shared patient identifier system ({@code exchange.patient-identifier-system}). */
    static final String NATIONAL = RecordLocatorTest.NATIONAL;

    /** The patient's family name: PHI the chain must never hold. */
    static final String NAME = "Cxmark" + UUID.randomUUID().toString().substring(0, 8);

    /** How long a revocation may take to be seen (it is immediate here; the bound only keeps a failure short). */
    static final Duration REVOCATION_BOUND = Duration.ofSeconds(10);

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    @Autowired
    Pseudonyms pseudonyms;

    Web3j web3j;
    long firstBlock;
    Credentials b;
    MemberAssertions asB;
    String audience;
    /** B's clinician, whom the patient's Consents name by ledger account. */
    String clinicianB;

    String patient;
    String nationalId;
    String patientToken;

    @BeforeAll
    void admitB() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        firstBlock = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        b = TestConsortium.admitNew(dataDir(), web3j, directory, view, "urn:oid:2.3", "https://b-cx.example/fhir");
        asB = new MemberAssertions(b, Clock.systemUTC());
        clinicianB = enrol(b, Role.CLINICIAN);
        audience = MemberAssertions.tokenEndpoint(
                view.member(ledger.account()).orElseThrow().fhirBaseUrl());

        nationalId = RecordLocatorTest.nationalId();
        patient = MemberAccessTest.id(post(
                bearerToken(),
                "/Patient",
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + NATIONAL + "\",\"value\":\""
                        + nationalId + "\"}],\"name\":[{\"family\":\"" + NAME + "\"}]}"));
        MemberAccessTest.id(post(
                bearerToken(),
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"probe\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patient + "\"}}"));
        patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patient);
    }

    @AfterAll
    void removeB() {
        try {
            TestConsortium.remove(dataDir(), web3j, directory, b.getAddress());
            view.invalidate();
        } finally {
            web3j.shutdown();
        }
    }

    @Test
    @Order(1)
    void thePatientsConsentLetsBsClinicianReadUntilItIsMadeInactive() throws Exception {
        String token = memberToken();
        assertThat(get(token, "/Patient/" + patient).statusCode())
                .as("no consent yet")
                .isEqualTo(404);
        assertThat(findByIdentifier(token)).isEmpty();

        HttpResponse<String> created = post(patientToken, "/Consent", consent(null, "active", clinicianB));
        String consentId = MemberAccessTest.id(created);
        assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), clinicianB)
                        .actions())
                .as("granted on chain to the account, under the patient's local pseudonym")
                .isNotZero();

        HttpResponse<String> read = get(token, "/Patient/" + patient);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(findByIdentifier(token)).containsExactly(patient);
        HttpResponse<String> observations = get(token, "/Observation?patient=Patient/" + patient);
        assertThat(body(observations).path("entry").size()).isEqualTo(1);
        JsonNode allowed = awaitEvent(clinicianB, "read", "0");
        assertThat(allowed)
                .as("the read is audited with B as the member acted through")
                .isNotNull();
        assertThat(memberAgent(allowed)).isEqualToIgnoringCase(b.getAddress());

        HttpResponse<String> inactive =
                put(patientToken, "/Consent/" + consentId, consent(consentId, "inactive", clinicianB));
        assertThat(inactive.statusCode()).as(inactive.body()).isEqualTo(200);
        awaitStatus(token, "/Patient/" + patient, 404);
        assertThat(findByIdentifier(token))
                .as("the identifier search is empty again")
                .isEmpty();
        JsonNode refused = awaitEvent(clinicianB, "read", "4");
        assertThat(refused).as("the refused read is audited").isNotNull();
        assertThat(memberAgent(refused)).isEqualToIgnoringCase(b.getAddress());
        assertThat(awaitEvent(clinicianB, "search-type", null))
                .as("the searches are audited")
                .isNotNull();
        assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), clinicianB)
                        .actions())
                .isZero();
    }

    @Test
    @Order(2)
    void deletingTheConsentEndsTheAccess() throws Exception {
        // the custodian writes Consents for its patients as today (e.g. from a signed paper form)
        String consentId = MemberAccessTest.id(post(bearerToken(), "/Consent", consent(null, "active", clinicianB)));
        String token = memberToken();
        awaitStatus(token, "/Patient/" + patient, 200);
        assertThat(findByIdentifier(token)).containsExactly(patient);

        HttpResponse<String> deleted = call("DELETE", patientToken, "/Consent/" + consentId, null);
        assertThat(deleted.statusCode()).as(deleted.body()).isBetween(200, 204);
        awaitStatus(token, "/Patient/" + patient, 404);
        assertThat(findByIdentifier(token)).isEmpty();
        assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), clinicianB)
                        .actions())
                .isZero();
    }

    @Test
    @Order(3)
    void thisInstitutionsOwnClinicianMayBeNamedByAccountToo() {
        DevTokens.Minted own = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/cx-own-" + UUID.randomUUID());
        assertThat(get(own.token(), "/Patient/" + patient).statusCode()).isEqualTo(404);
        MemberAccessTest.id(post(patientToken, "/Consent", consent(null, "active", own.ledgerAddress())));
        HttpResponse<String> read = get(own.token(), "/Patient/" + patient);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void anAccountThatIsNoClinicianOfAnActiveMemberIsRefusedAndNothingIsGranted() throws Exception {
        List<String> refused = new ArrayList<>();
        refused.add(SecondMember.newAccount().getAddress().toLowerCase(Locale.ROOT)); // no role at all
        refused.add(DevTokens.mintFor(dataDir(), Role.PATIENT, "Patient/cx-other-" + UUID.randomUUID())
                .ledgerAddress()); // a patient here
        refused.add(DevTokens.mintFor(dataDir(), Role.ADMIN, null).ledgerAddress()); // an admin here
        refused.add(enrol(b, Role.AUDITOR)); // B's staff, no clinician

        // a clinician of a member the consortium has removed
        Credentials c = SecondMember.newAccount();
        TestConsortium.known(dataDir(), c);
        TestConsortium.admit(
                dataDir(),
                web3j,
                directory,
                new Institution(c.getAddress(), "urn:oid:2.4", "https://c-cx.example/fhir", "{}"));
        String clinicianC = enrol(c, Role.CLINICIAN);
        TestConsortium.remove(dataDir(), web3j, directory, c.getAddress());
        view.invalidate();
        refused.add(clinicianC);

        long before = consentCount();
        for (String account : refused) {
            HttpResponse<String> r = post(patientToken, "/Consent", consent(null, "active", account));
            MemberAccessTest.assertRefused(r, 422, "Consent not accepted");
            assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), account)
                            .actions())
                    .as(account)
                    .isZero();
        }
        // no partial write: B's clinician, named beside a refused account, is granted nothing either
        HttpResponse<String> mixed =
                post(patientToken, "/Consent", consent(null, "active", clinicianB, refused.get(0)));
        MemberAccessTest.assertRefused(mixed, 422, "no CLINICIAN role");
        assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), clinicianB)
                        .actions())
                .isZero();
        assertThat(get(memberToken(), "/Patient/" + patient).statusCode()).isEqualTo(404);
        assertThat(consentCount()).as("nothing stored").isEqualTo(before);
    }

    @Test
    @Order(5)
    void aMalformedAccountIsRefused() {
        long before = consentCount();
        for (String bad : new String[] {"0x1234", "not-an-address", "0x" + "g".repeat(40), "0x" + "a".repeat(41)}) {
            MemberAccessTest.assertRefused(
                    post(patientToken, "/Consent", consent(null, "active", bad)), 422, "Consent not accepted");
        }
        // an identifier of another system names no one the chain knows
        String otherSystem = consent(null, "active", clinicianB).replace(AuditShape.LEDGER_ADDRESS_SYSTEM, "urn:x");
        MemberAccessTest.assertRefused(post(patientToken, "/Consent", otherSystem), 422, "ledger account");
        assertThat(consentCount()).isEqualTo(before);
    }

    @Test
    @Order(6)
    void onlyThoseWhoMayWriteALocalConsentMayWriteOne() {
        String body = consent(null, "active", clinicianB);
        // B's clinician (a member token is read-only), a clinician here, another patient
        assertThat(post(memberToken(), "/Consent", body).statusCode()).isEqualTo(403);
        String clinicianHere = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/cx-writer-" + UUID.randomUUID());
        assertThat(post(clinicianHere, "/Consent", body).statusCode()).isEqualTo(403);
        String other = MemberAccessTest.id(post(bearerToken(), "/Patient", "{\"resourceType\":\"Patient\"}"));
        String otherPatient = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + other);
        HttpResponse<String> r = post(otherPatient, "/Consent", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(ledger.consentOf(pseudonyms.of("Patient", patient), clinicianB)
                        .actions())
                .isZero();
    }

    @Test
    @Order(7)
    void noPhiOnChain() throws Exception {
        String chain = RecordLocatorTest.chainText(web3j, firstBlock);
        // the scan sees this class's consent entries (keyed by the patient's local pseudonym)...
        assertThat(chain)
                .contains(pseudonyms.of("Patient", patient).toHex().substring(2).toLowerCase(Locale.ROOT));
        // ...and neither the patient's name nor national id in any transaction input or log
        assertThat(chain).doesNotContain(RecordLocatorTest.hex(NAME)).doesNotContain(RecordLocatorTest.hex(nationalId));
    }

    // ---- helpers

    /** A patient-privacy Consent of the patient, naming each account as actor by ledger-address identifier. */
    String consent(String id, String status, String... accounts) {
        StringBuilder actors = new StringBuilder();
        for (String account : accounts) {
            if (actors.length() > 0) actors.append(',');
            actors.append("{\"role\":{\"coding\":[{\"system\":"
                            + "\"http://terminology.hl7.org/CodeSystem/v3-ParticipationType\",\"code\":\"PRCP\"}]},"
                            + "\"reference\":{\"identifier\":{\"system\":\"")
                    .append(AuditShape.LEDGER_ADDRESS_SYSTEM)
                    .append("\",\"value\":\"")
                    .append(account)
                    .append("\"}}}");
        }
        return "{\"resourceType\":\"Consent\"," + (id == null ? "" : "\"id\":\"" + id + "\",") + "\"status\":\""
                + status + "\",\"scope\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/consentscope\",\"code\":\"patient-privacy\"}]},"
                + "\"category\":[{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"59284-0\"}]}],"
                + "\"patient\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"provision\":{\"type\":\"permit\",\"actor\":[" + actors + "]}}";
    }

    /** An access token here for B's clinician, obtained as B's server does. */
    String memberToken() {
        HttpResponse<String> r = tokenFor(asB.sign(audience, clinicianB, Duration.ofMinutes(2)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return body(r).path("access_token").asText();
    }

    HttpResponse<String> tokenFor(String assertion) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(baseUrl() + "/$member-token"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"
                                    + "&client_assertion_type=" + MemberAccessTest.enc(MemberTokenServlet.JWT_BEARER)
                                    + "&client_assertion=" + MemberAccessTest.enc(assertion)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Patient ids B's clinician finds by the shared identifier, as B's server looks the patient up. */
    List<String> findByIdentifier(String token) {
        HttpResponse<String> r = get(
                token, "/Patient?identifier=" + URLEncoder.encode(NATIONAL + "|" + nationalId, StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode e : body(r).path("entry")) ids.add(e.at("/resource/id").asText());
        return ids;
    }

    long consentCount() {
        HttpResponse<String> r = get(bearerToken(), "/Consent?patient=Patient/" + patient + "&_summary=count");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return body(r).path("total").asLong();
    }

    /** B's custodian account enrols one of its staff under B, as B's server would. */
    String enrol(Credentials member, Role role) {
        return TestConsortium.enrol(dataDir(), web3j, member, role);
    }

    void awaitStatus(String token, String path, int status) throws InterruptedException {
        int[] last = {0};
        await(() -> (last[0] = get(token, path).statusCode()) == status);
        assertThat(last[0]).as(path).isEqualTo(status);
    }

    /** The newest AuditEvent of that interaction (and outcome, unless null) whose requestor is the account. */
    JsonNode awaitEvent(String account, String interaction, String outcome) throws InterruptedException {
        String auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);
        JsonNode[] found = {null};
        await(() -> {
            HttpResponse<String> r = get(auditor, "/AuditEvent?_sort=-date&_count=100");
            for (JsonNode entry : body(r).path("entry")) {
                JsonNode event = entry.path("resource");
                if (!interaction.equals(event.at("/subtype/0/code").asText())) continue;
                if (outcome != null && !outcome.equals(event.path("outcome").asText())) continue;
                for (JsonNode agent : event.path("agent")) {
                    if (agent.path("requestor").asBoolean()
                            && account.equalsIgnoreCase(
                                    agent.at("/who/identifier/value").asText())) {
                        found[0] = event;
                        return true;
                    }
                }
            }
            return false;
        });
        return found[0];
    }

    static String memberAgent(JsonNode event) {
        for (JsonNode agent : event.path("agent")) {
            if (!agent.path("requestor").asBoolean())
                return agent.at("/who/identifier/value").asText();
        }
        return null;
    }

    static void await(BooleanSupplier done) throws InterruptedException {
        Instant until = Instant.now().plus(REVOCATION_BOUND);
        while (!done.getAsBoolean() && Instant.now().isBefore(until)) Thread.sleep(100);
    }
}
