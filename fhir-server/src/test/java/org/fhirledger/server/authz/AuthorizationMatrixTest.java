package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.test.context.ContextConfiguration;

/**
 * Roles × operations × consent against a real chain and PostgreSQL: the README's story (admin registers
 * practitioners, a clinician registers a patient and a report, another clinician is refused until the patient
 * consents, an auditor finds both) and every way a search, include, history, page or count could leak.
 */
@ContextConfiguration(initializers = PostgresInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthorizationMatrixTest extends ServerTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    String admin;
    String drA;
    String drB;
    DevTokens.Minted drBMinted;
    String auditor;
    String patientToken;
    String otherPatientToken;
    String patientId;
    String otherPatientId;
    String reportId;
    String observationId;

    @org.springframework.beans.factory.annotation.Autowired
    org.springframework.jdbc.core.JdbcTemplate listing;

    @BeforeAll
    void story() {
        admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(put(admin, "/Practitioner/dr-a", practitioner("dr-a", "Alvarez"))
                        .statusCode())
                .isIn(200, 201);
        assertThat(put(admin, "/Practitioner/dr-b", practitioner("dr-b", "Berg"))
                        .statusCode())
                .isIn(200, 201);
        assertThat(put(admin, "/Practitioner/dr-c", practitioner("dr-c", "Chen"))
                        .statusCode())
                .isIn(200, 201);
        drA = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/dr-a");
        drBMinted = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/dr-b");
        drB = drBMinted.token();
        auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);

        patientId =
                id(created(post(drA, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Quinn\"}]}")));
        otherPatientId =
                id(created(post(drA, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Other\"}]}")));
        reportId = id(created(post(
                drA,
                "/DiagnosticReport",
                "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\","
                        + "\"code\":{\"text\":\"CBC\"},\"subject\":{\"reference\":\"Patient/" + patientId + "\"}}")));
        observationId = id(created(post(drA, "/Observation", observation(patientId))));
        created(post(drA, "/Observation", observation(otherPatientId)));
        patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patientId);
        otherPatientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + otherPatientId);
    }

    @Test
    @Order(1)
    void theRegisteringClinicianReadsAndWritesThroughTheConsentTheServerRecordedForThem() {
        assertThat(get(drA, "/Patient/" + patientId).statusCode()).isEqualTo(200);
        JsonNode consents = body(get(drA, "/Consent?patient=Patient/" + patientId));
        assertThat(consents.at("/entry/0/resource/provision/actor/0/reference/reference")
                        .asText())
                .as(consents.toString())
                .isEqualTo("Practitioner/dr-a");
        JsonNode bundle = body(get(drA, "/Patient?_id=" + patientId + "&_revinclude=Observation:subject"));
        assertThat(types(bundle)).containsExactlyInAnyOrder("Patient", "Observation");
        assertThat(get(drA, "/DiagnosticReport?subject=Patient/" + patientId + "&_summary=count")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    @Order(2)
    void aClinicianWithoutConsentSeesNothingOfThePatientByAnyRoute() {
        long versions = storedVersionCount();
        // one resource (read, vread, history, $everything): as if it did not exist
        List<String> instances = List.of(
                "/Patient/" + patientId,
                "/Patient/" + patientId + "/_history/1",
                "/Patient/" + patientId + "/_history",
                "/DiagnosticReport/" + reportId,
                "/Observation/" + observationId + "/_history",
                "/Patient/" + patientId + "/$everything");
        for (String path : instances) {
            HttpResponse<String> r = get(drB, path);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(404);
            assertThat(body(r).at("/issue/0/code").asText()).as(path).isEqualTo("not-found");
            assertThat(r.body()).as(path).doesNotContain("Quinn");
        }
        List<String> paths = List.of(
                "/DiagnosticReport?subject=Patient/" + patientId,
                "/DiagnosticReport?subject=Patient/" + patientId + "&_summary=count",
                "/Observation?patient=" + patientId + "&_total=accurate",
                "/Patient?_id=" + patientId + "&_revinclude=Observation:subject",
                "/Observation/_history",
                "/_history",
                "/Practitioner?_has:Observation:performer:subject=Patient/" + patientId,
                "/AuditEvent?patient=Patient/" + patientId,
                "/Consent?patient=Patient/" + patientId);
        for (String path : paths) {
            HttpResponse<String> r = get(drB, path);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(403);
            assertThat(body(r).at("/resourceType").asText()).as(path).isEqualTo("OperationOutcome");
            assertThat(body(r).at("/issue/0/code").asText()).as(path).isEqualTo("forbidden");
            assertThat(r.body()).as(path).doesNotContain("Quinn");
        }
        // a Patient search naming no patient answers only the patients the caller may see: none here, like no match
        for (String path : List.of(
                "/Patient?name=Quinn",
                "/Patient?family=Quinn&_total=accurate",
                "/Patient?_summary=count",
                "/Patient",
                "/Patient?name=Quinn&_revinclude=Observation:subject",
                "/Patient?_sort=family&_count=1")) {
            HttpResponse<String> r = get(drB, path);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(body(r).at("/entry").size()).as(path).isZero();
            assertThat(body(r).at("/total").asInt(0)).as(path).isZero();
            // the self link echoes the caller's own criteria (and the server's _id of nothing)
            assertThat(r.body()).as(path).doesNotContain("Patient/" + patientId).doesNotContain("\"next\"");
        }
        // so does a search of other patient data naming no patient: the data of no patient, like no match
        for (String path : List.of(
                "/Observation?code=http://loinc.org|718-7",
                "/Observation?_summary=count",
                "/Observation?code=http://loinc.org|718-7&_total=accurate",
                "/DiagnosticReport?_revinclude=Observation:has-member&_include=DiagnosticReport:subject",
                "/Observation?_count=1",
                "/Observation?performer=Practitioner/dr-a&_summary=count")) {
            HttpResponse<String> r = get(drB, path);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(body(r).at("/entry").size()).as(path).isZero();
            assertThat(body(r).at("/total").asInt(0)).as(path).isZero();
            assertThat(r.body()).as(path).doesNotContain("Patient/" + patientId).doesNotContain("\"next\"");
        }
        assertThat(get(drB, "/Observation?code=http://loinc.org|718-7&subject.name=Quinn")
                        .statusCode())
                .as("chains stay refused")
                .isEqualTo(403);
        assertThat(get(drB, "/Patient?name:missing=false&_has:Consent:patient:actor=Practitioner/dr-a")
                        .statusCode())
                .as("reverse chains stay refused")
                .isEqualTo(403);
        assertThat(post(drB, "/Observation", observation(patientId)).statusCode())
                .isEqualTo(403);
        assertThat(put(drB, "/Patient/" + patientId, "{\"resourceType\":\"Patient\",\"id\":\"" + patientId + "\"}")
                        .statusCode())
                .isEqualTo(404);
        assertThat(call("DELETE", drB, "/DiagnosticReport/" + reportId, null).statusCode())
                .isEqualTo(404);
        assertThat(post(drB, "/", transaction(observation(patientId))).statusCode())
                .isEqualTo(403);
        assertThat(storedVersionCount())
                .as("nothing but AuditEvents was stored")
                .isEqualTo(versions);
    }

    @Test
    @Order(3)
    void includesOfAPermittedSearchDropWhatTheCallerMayNotSee() {
        // an Observation of the other patient, performed by this patient: in both compartments
        String shared = id(created(post(
                drA,
                "/Observation",
                observation(otherPatientId)
                        .replace(
                                "\"subject\"",
                                "\"performer\":[{\"reference\":\"Patient/" + patientId + "\"}],\"subject\""))));
        String query = "/Patient?_id=" + patientId + "&_revinclude=Observation:performer";
        // dr-a may see both patients: the revinclude finds it ...
        assertThat(body(get(drA, query)).toString()).contains("\"id\":\"" + shared + "\"");
        // ... the patient may see only one of them: it is left out
        JsonNode bundle = body(get(patientToken, query));
        assertThat(types(bundle)).as(bundle.toString()).containsExactly("Patient");
        assertThat(bundle.toString()).doesNotContain(shared).doesNotContain("Patient/" + otherPatientId);
        assertThat(get(patientToken, "/Observation/" + shared).statusCode()).isEqualTo(404);
        JsonNode own = body(get(patientToken, "/Observation?patient=" + patientId + "&_include=Observation:subject"));
        assertThat(types(own)).as(own.toString()).contains("Observation", "Patient");
    }

    @Test
    @Order(4)
    void theSecondClinicianReadsOnceThePatientConsentsAndNoLongerOnceTheyRevoke() {
        HttpResponse<String> consent =
                post(patientToken, "/Consent", consent(patientId, "Practitioner/dr-b", "active"));
        assertThat(consent.statusCode()).as(consent.body()).isEqualTo(201);
        String consentId = id(body(consent));
        // the server invalidated its cache when it wrote the consent: effective at once
        assertThat(get(drB, "/DiagnosticReport/" + reportId).statusCode()).isEqualTo(200);
        assertThat(body(get(drB, "/DiagnosticReport?subject=Patient/" + patientId))
                        .at("/total")
                        .asInt())
                .isEqualTo(1);
        assertThat(get(drB, "/Patient/" + otherPatientId).statusCode())
                .as("only that patient")
                .isEqualTo(404);
        // found by name and in "my patients", never the other patient (who matches "Patient" too)
        JsonNode byName = body(get(drB, "/Patient?name=Quinn&_summary=count"));
        assertThat(byName.at("/total").asInt()).as(byName.toString()).isEqualTo(1);
        JsonNode mine = body(get(drB, "/Patient?_count=1"));
        assertThat(mine.at("/entry").size()).as(mine.toString()).isEqualTo(1);
        assertThat(mine.toString())
                .contains(patientId)
                .doesNotContain(otherPatientId)
                .doesNotContain("\"next\"");
        assertThat(body(get(drB, "/Patient?name=Other&_summary=count"))
                        .at("/total")
                        .asInt())
                .isZero();
        // read-only consent: no writes
        assertThat(post(drB, "/Observation", observation(patientId)).statusCode())
                .isEqualTo(403);
        aConsentedClinicianSearchesPatientDataNamingNoPatientAndFindsOnlyTheConsentingPatients();

        HttpResponse<String> revoked = put(
                patientToken,
                "/Consent/" + consentId,
                consent(patientId, "Practitioner/dr-b", "inactive")
                        .replace(
                                "{\"resourceType\":\"Consent\",",
                                "{\"resourceType\":\"Consent\",\"id\":\"" + consentId + "\","));
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertThat(get(drB, "/DiagnosticReport/" + reportId).statusCode()).isEqualTo(404);
        assertThat(body(get(drB, "/Patient?name=Quinn&_summary=count"))
                        .at("/total")
                        .asInt())
                .as("revoked")
                .isZero();
        JsonNode afterRevocation = body(get(drB, "/Observation?code=http://loinc.org|718-7"));
        assertThat(afterRevocation.at("/entry").size()).as("revoked").isZero();
        assertThat(afterRevocation.at("/total").asInt()).isZero();
    }

    /**
     * dr-b holds the patient's consent only: a search naming no patient finds the patient's data, never the other
     * patient's, nor one of the patient's resources that is also the other patient's, in entries, includes, totals,
     * counts or pages.
     */
    private void aConsentedClinicianSearchesPatientDataNamingNoPatientAndFindsOnlyTheConsentingPatients() {
        String second = id(created(post(drA, "/Observation", observation(patientId))));
        // the patient's, performed by the other patient: also the other patient's data
        String coOwned = id(created(post(
                drA,
                "/Observation",
                observation(patientId)
                        .replace(
                                "\"subject\"",
                                "\"performer\":[{\"reference\":\"Patient/" + otherPatientId + "\"}],\"subject\""))));
        // the other patient's panel with the patient's Observation as a member: a _revinclude would reach it
        String panel = id(created(post(
                drA,
                "/Observation",
                observation(otherPatientId)
                        .replace("718-7", "2339-0")
                        .replace(
                                "\"subject\"",
                                "\"hasMember\":[{\"reference\":\"Observation/" + observationId + "\"}],\"subject\""))));
        List<String> others = List.of(otherPatientId, coOwned, panel);
        String code = "/Observation?code=http://loinc.org|718-7";

        JsonNode found = body(get(drB, code));
        assertThat(ids(found)).as(found.toString()).containsExactlyInAnyOrder(observationId, second);
        assertThat(found.at("/total").asInt()).isEqualTo(2);
        assertThat(body(get(drB, code + "&_summary=count")).at("/total").asInt())
                .as("counted as the caller sees them")
                .isEqualTo(2);
        assertThat(body(get(drB, code + "&_total=accurate")).at("/total").asInt())
                .isEqualTo(2);
        assertThat(body(get(drB, "/Observation?_summary=count")).at("/total").asInt())
                .isEqualTo(2);
        JsonNode bySomeoneElse = body(get(drB, "/Observation?performer=Practitioner/dr-b"));
        assertThat(bySomeoneElse.at("/total").asInt())
                .as(bySomeoneElse.toString())
                .isZero();
        assertThat(get(drB, "/Observation?performer=Patient/" + otherPatientId).statusCode())
                .as("naming a patient: the search rule decides")
                .isEqualTo(403);

        List<String> paged = new ArrayList<>();
        String page = code + "&_count=1";
        for (int i = 0; page != null && i < 5; i++) {
            HttpResponse<String> r = get(drB, page);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode bundle = body(r);
            if (bundle.has("total"))
                assertThat(bundle.at("/total").asInt()).as(r.body()).isEqualTo(2);
            for (String other : others) assertThat(r.body()).doesNotContain(other);
            paged.addAll(ids(bundle));
            page = null;
            for (JsonNode l : bundle.at("/link"))
                if ("next".equals(l.at("/relation").asText())) {
                    String url = l.at("/url").asText();
                    page = url.substring(url.indexOf("/fhir") + 5);
                }
        }
        assertThat(paged).containsExactlyInAnyOrder(observationId, second);

        JsonNode withIncludes = body(get(
                drB,
                code + "&_revinclude=Observation:has-member&_include=Observation:subject"
                        + "&_include=Observation:performer"));
        assertThat(types(withIncludes)).as(withIncludes.toString()).containsOnly("Observation", "Patient");
        assertThat(ids(withIncludes)).containsExactlyInAnyOrder(observationId, second, patientId);
        for (String other : others) assertThat(withIncludes.toString()).doesNotContain(other);
        JsonNode reports = body(get(drB, "/DiagnosticReport?_include=DiagnosticReport:subject"));
        assertThat(ids(reports)).as(reports.toString()).containsExactlyInAnyOrder(reportId, patientId);
    }

    private static List<String> ids(JsonNode bundle) {
        List<String> ids = new ArrayList<>();
        for (JsonNode e : bundle.at("/entry")) ids.add(e.at("/resource/id").asText());
        return ids;
    }

    @Test
    @Order(3)
    void theRegisteringClinicianPagesThroughTheirPatientsAndAPatientFindsOnlyThemselves() {
        assertThat(body(get(drA, "/Patient?_summary=count")).at("/total").asInt())
                .isEqualTo(2);
        JsonNode page1 = body(get(drA, "/Patient?_count=1&_sort=family"));
        String next = null;
        for (JsonNode l : page1.at("/link"))
            if ("next".equals(l.at("/relation").asText())) next = l.at("/url").asText();
        assertThat(next).as(page1.toString()).isNotNull();
        JsonNode page2 = body(get(drA, next.substring(next.indexOf("/fhir") + 5)));
        assertThat(page2.at("/entry/0/resource/id").asText())
                .as(page2.toString())
                .isEqualTo(patientId);
        assertThat(page1.at("/entry/0/resource/id").asText()).isEqualTo(otherPatientId);
        HttpResponse<String> theirPage = get(drB, next.substring(next.indexOf("/fhir") + 5));
        assertThat(theirPage.statusCode()).as("another clinician's page link").isNotEqualTo(200);
        JsonNode own = body(get(patientToken, "/Patient"));
        assertThat(own.at("/entry").size()).as(own.toString()).isEqualTo(1);
        assertThat(own.toString()).contains(patientId).doesNotContain(otherPatientId);
        assertThat(body(get(patientToken, "/Patient?name=Other&_summary=count"))
                        .at("/total")
                        .asInt())
                .isZero();
    }

    @Test
    @Order(5)
    void aPatientReadsTheirOwnCompartmentOnlyAndWritesOnlyTheirConsents() {
        HttpResponse<String> own = get(patientToken, "/Patient/" + patientId);
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        assertThat(get(patientToken, "/DiagnosticReport/" + reportId).statusCode())
                .isEqualTo(200);
        assertThat(get(patientToken, "/Observation?patient=" + patientId).statusCode())
                .isEqualTo(200);
        assertThat(get(patientToken, "/Patient/" + otherPatientId).statusCode()).isEqualTo(404);
        assertThat(get(patientToken, "/Observation?patient=" + otherPatientId).statusCode())
                .isEqualTo(403);
        // naming no patient: their own data only, not the other patient's nor what is also theirs
        HttpResponse<String> theirs = get(patientToken, "/Observation?_count=50");
        assertThat(theirs.statusCode()).as(theirs.body()).isEqualTo(200);
        assertThat(ids(body(theirs))).contains(observationId);
        for (JsonNode e : body(theirs).at("/entry"))
            assertThat(e.at("/resource/subject/reference").asText()).isEqualTo("Patient/" + patientId);
        assertThat(theirs.body()).doesNotContain("Patient/" + otherPatientId);
        assertThat(body(theirs).at("/total").asInt())
                .isEqualTo(body(theirs).at("/entry").size());
        assertThat(get(patientToken, "/Practitioner/dr-a").statusCode())
                .as("the directory is public to roles")
                .isEqualTo(200);
        assertThat(post(patientToken, "/Observation", observation(patientId)).statusCode())
                .isEqualTo(403);
        assertThat(post(patientToken, "/Consent", consent(otherPatientId, "Practitioner/dr-b", "active"))
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(otherPatientToken, "/Consent", consent(patientId, "Practitioner/dr-b", "active"))
                        .statusCode())
                .isEqualTo(403);
    }

    @Test
    @Order(6)
    void badConsentsAreRefusedWithA4xxAndNothingOnChainOrInTheDatabase() {
        long versions = storedVersionCount();
        assertThat(post(patientToken, "/Consent", consent(patientId, "Practitioner/dr-c", "active"))
                        .statusCode())
                .as("a practitioner without ledger account")
                .isEqualTo(422);
        assertThat(post(patientToken, "/Consent", consent(patientId, "Practitioner/nobody", "active"))
                        .statusCode())
                .as("a practitioner that does not exist")
                .isEqualTo(400);
        String twoActors = consent(patientId, "Practitioner/dr-b", "active")
                .replace(
                        "\"actor\":[{",
                        "\"actor\":[{\"role\":{\"text\":\"r\"},\"reference\":{\"reference\":\"Practitioner/dr-c\"}},{");
        assertThat(post(patientToken, "/Consent", twoActors).statusCode())
                .as("one actor without account: the other is not granted either")
                .isEqualTo(422);
        assertThat(post(patientToken, "/Consent", consent(patientId, "Patient/" + patientId, "active"))
                        .statusCode())
                .as("an actor that is not a practitioner")
                .isEqualTo(422);
        assertThat(post(
                                patientToken,
                                "/Consent",
                                consent(patientId, "Practitioner/dr-b", "active")
                                        .replace(
                                                "\"provision\":{",
                                                "\"provision\":{\"period\":{\"end\":\"2001-01-01\"},"))
                        .statusCode())
                .as("expired")
                .isEqualTo(422);
        assertThat(get(drB, "/DiagnosticReport/" + reportId).statusCode()).isEqualTo(404);
        assertThat(storedVersionCount())
                .as("nothing but AuditEvents was stored")
                .isEqualTo(versions);
    }

    @Test
    @Order(7)
    void breakGlassNeedsAReasonOpensAWindowAndIsFlaggedInTheAudit() {
        assertThat(post(drB, "/Patient/" + patientId + "/$break-glass", "{\"resourceType\":\"Parameters\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(post(patientToken, "/Patient/" + patientId + "/$break-glass", reason("curious"))
                        .statusCode())
                .isEqualTo(403);
        HttpResponse<String> opened =
                post(drB, "/Patient/" + patientId + "/$break-glass", reason("unconscious in the ED"));
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        assertThat(get(drB, "/DiagnosticReport/" + reportId).statusCode()).isEqualTo(200);
        JsonNode audits = body(get(
                auditor,
                "/AuditEvent?patient=Patient/" + patientId + "&entity=DiagnosticReport/" + reportId
                        + "&outcome=0&_sort=-date&_count=1"));
        JsonNode last = audits.at("/entry/0/resource");
        assertThat(last.at("/purposeOfEvent/0/coding/0/code").asText()).isEqualTo("BTG");
        assertThat(last.at("/agent/0/who/reference").asText()).isEqualTo("Practitioner/dr-b");
        assertThat(get(drB, "/Patient/" + otherPatientId).statusCode())
                .as("only that patient")
                .isEqualTo(404);
    }

    @Test
    @Order(8)
    void theAuditorFindsTheRefusalsAndTheReadsButNoClinicalData() {
        String q = "/AuditEvent?patient=Patient/" + patientId + "&agent=Practitioner/dr-b";
        JsonNode denied = body(get(auditor, q + "&outcome=4"));
        assertThat(denied.at("/total").asInt()).isGreaterThanOrEqualTo(10);
        assertThat(denied.at("/entry/0/resource/agent/0/who/identifier/value").asText())
                .isEqualToIgnoringCase(drBMinted.ledgerAddress());
        JsonNode allowed = body(get(auditor, q + "&outcome=0"));
        assertThat(allowed.at("/total").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(body(get(auditor, "/AuditEvent?entity=DiagnosticReport/" + reportId + "&date=ge2020-01-01"))
                        .at("/total")
                        .asInt())
                .isGreaterThanOrEqualTo(3);
        assertThat(get(auditor, "/Patient/" + patientId).statusCode()).isEqualTo(404);
        assertThat(get(auditor, "/Observation?patient=" + patientId).statusCode())
                .isEqualTo(403);
        assertThat(post(auditor, "/AuditEvent", "{\"resourceType\":\"AuditEvent\"}")
                        .statusCode())
                .isEqualTo(403);
        // the patient sees who looked at their data, and nobody else's
        JsonNode own = body(get(patientToken, "/AuditEvent?patient=Patient/" + patientId + "&_count=200"));
        assertThat(own.at("/total").asInt())
                .as(own.toString().substring(0, Math.min(600, own.toString().length())))
                .isGreaterThanOrEqualTo(10);
        assertThat(own.at("/entry").size())
                .as("every one shown: they are all about the patient")
                .isEqualTo(own.at("/total").asInt());
        assertThat(get(patientToken, "/AuditEvent?patient=Patient/" + otherPatientId)
                        .statusCode())
                .isEqualTo(403);
        assertThat(get(patientToken, "/AuditEvent").statusCode()).isEqualTo(403);
    }

    @Test
    @Order(9)
    void rolesComeFromTheChainAndOnlyAnAdminChangesThem() {
        DevTokens.Minted temp = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/dr-temp");
        assertThat(get(temp.token(), "/Practitioner/dr-a").statusCode()).isEqualTo(200);
        String revoke = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\""
                + temp.ledgerAddress() + "\"},{\"name\":\"role\",\"valueString\":\"CLINICIAN\"}]}";
        assertThat(post(drA, "/$revoke-role", revoke).statusCode()).isEqualTo(403);
        HttpResponse<String> r = post(admin, "/$revoke-role", revoke);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(body(r).toString()).contains("transaction");
        HttpResponse<String> noRole = get(temp.token(), "/Practitioner/dr-a");
        assertThat(noRole.statusCode()).isEqualTo(403);
        assertThat(noRole.body()).contains("holds no role");
        assertThat(post(admin, "/$revoke-role", revoke).statusCode())
                .as("not held any more")
                .isEqualTo(409);
        assertThat(post(
                                admin,
                                "/$assign-role",
                                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\","
                                        + "\"valueString\":\"0x12\"},{\"name\":\"role\",\"valueString\":\"CLINICIAN\"}]}")
                        .statusCode())
                .isEqualTo(400);
        String assign = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\""
                + temp.ledgerAddress() + "\"},{\"name\":\"role\",\"valueString\":\"AUDITOR\"},{\"name\":\"fhirUser\","
                + "\"valueString\":\"Practitioner/dr-temp\"}]}";
        assertThat(post(admin, "/$assign-role", assign).statusCode()).isEqualTo(200);
        assertThat(get(temp.token(), "/AuditEvent?_count=1").statusCode()).isEqualTo(200);
        assertThat(post(admin, "/Practitioner", practitioner(null, "New")).statusCode())
                .isEqualTo(201);
        assertThat(post(drA, "/Practitioner", practitioner(null, "New")).statusCode())
                .isEqualTo(403);
        assertThat(get(admin, "/Patient/" + patientId).statusCode())
                .as("admins read no clinical data")
                .isEqualTo(404);
    }

    @Test
    @Order(10)
    void validatingAStoredInstanceIsTheCustodiansAndNamesNothing() {
        // mode=delete checks what refers to the instance: the Consent naming the patient would be named
        for (String token : List.of(drB, admin, drA)) {
            HttpResponse<String> r = post(
                    token, "/Patient/" + patientId + "/$validate?mode=delete", "{\"resourceType\":\"Parameters\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.body()).doesNotContain("Consent/").contains("custodian only");
        }
        // validating a resource one sends stays open to clinicians and admins
        HttpResponse<String> sent =
                post(drB, "/Patient/$validate", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"X\"}]}");
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
    }

    @Test
    @Order(11)
    void aClinicianNotInTheDirectoryCannotRegisterAPatientTheyCouldNotSee() {
        String stranger = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/dr-not-in-directory");
        long versions = storedVersionCount();
        HttpResponse<String> r =
                post(stranger, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Orphan\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(body(r).at("/issue/0/code").asText()).isEqualTo("forbidden");
        assertThat(r.body())
                .contains("Practitioner resource is in the directory")
                .contains("Nothing was stored");
        assertThat(storedVersionCount())
                .as("nothing but AuditEvents was stored")
                .isEqualTo(versions);
        // once the admin adds them to the directory, the registration goes through and they see their patient
        assertThat(put(admin, "/Practitioner/dr-not-in-directory", practitioner("dr-not-in-directory", "Late"))
                        .statusCode())
                .isIn(200, 201);
        String id = id(created(
                post(stranger, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Found\"}]}")));
        assertThat(get(stranger, "/Patient/" + id).statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static String practitioner(String id, String family) {
        return "{\"resourceType\":\"Practitioner\"," + (id == null ? "" : "\"id\":\"" + id + "\",")
                + "\"name\":[{\"family\":\"" + family + "\"}]}";
    }

    private static String observation(String patient) {
        return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                + "\"http://loinc.org\",\"code\":\"718-7\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"}}";
    }

    private static String transaction(String resource) {
        return "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + resource
                + ",\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}";
    }

    @Test
    @Order(12)
    void aClinicianListsTheirConsentingPatientsFromTheServersListGrantedShowsRevokedGoesOthersNever() {
        assertThat(put(admin, "/Practitioner/dr-d", practitioner("dr-d", "Dahl"))
                        .statusCode())
                .isIn(200, 201);
        String drD = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/dr-d");
        String address = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/dr-d")
                .ledgerAddress();
        assertThat(body(get(drD, "/Patient")).at("/total").asInt())
                .as("none yet")
                .isZero();
        List<String> own = new ArrayList<>();
        for (String family : List.of("Dahl-one", "Dahl-two", "Dahl-three")) {
            own.add(id(created(post(
                    drD, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}"))));
        }
        // paged with _count, every page only theirs, all of them once
        List<String> seen = new ArrayList<>();
        String path = "/Patient?_count=2&_sort=family";
        int pages = 0;
        while (path != null) {
            JsonNode page = body(get(drD, path));
            if (pages == 0)
                assertThat(page.at("/total").asInt()).as(page.toString()).isEqualTo(3);
            page.path("entry").forEach(e -> seen.add(e.at("/resource/id").asText()));
            path = null;
            for (JsonNode l : page.at("/link")) {
                if ("next".equals(l.at("/relation").asText())) {
                    String url = l.at("/url").asText();
                    path = url.substring(url.indexOf("/fhir") + 5);
                }
            }
            pages++;
        }
        assertThat(pages).isEqualTo(2);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(own);

        // another clinician's patient: listed for dr-d once the patient consents, gone once they revoke
        HttpResponse<String> consent =
                post(patientToken, "/Consent", consent(patientId, "Practitioner/dr-d", "active"));
        assertThat(consent.statusCode()).as(consent.body()).isEqualTo(201);
        String consentId = id(body(consent));
        JsonNode granted = body(get(drD, "/Patient"));
        assertThat(granted.at("/total").asInt()).as(granted.toString()).isEqualTo(4);
        assertThat(granted.toString()).contains(patientId).doesNotContain(otherPatientId);
        assertThat(body(get(drD, "/Patient?name=Quinn")).at("/total").asInt()).isEqualTo(1);
        HttpResponse<String> revoked = put(
                patientToken,
                "/Consent/" + consentId,
                consent(patientId, "Practitioner/dr-d", "inactive")
                        .replace(
                                "{\"resourceType\":\"Consent\",",
                                "{\"resourceType\":\"Consent\",\"id\":\"" + consentId + "\","));
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        JsonNode after = body(get(drD, "/Patient"));
        assertThat(after.at("/total").asInt()).as(after.toString()).isEqualTo(3);
        assertThat(after.toString()).doesNotContain(patientId);
        assertThat(body(get(drD, "/Patient?name=Quinn")).at("/total").asInt()).isZero();
        // and it has left the list: the next listing does not ask the chain about it again
        assertThat(listing.queryForObject(
                        "select count(*) from fl_consented_patient where grantee = ? and patient_id = ?",
                        Integer.class,
                        address.toLowerCase(java.util.Locale.ROOT),
                        patientId))
                .isZero();
        // the other clinicians' lists never had dr-d's patients
        for (String token : List.of(drA, drB)) {
            assertThat(body(get(token, "/Patient")).toString()).doesNotContain("Dahl-");
        }
    }

    private static String reason(String text) {
        return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"" + text
                + "\"}]}";
    }

    static String consent(String patient, String actor, String status) {
        return "{\"resourceType\":\"Consent\",\"status\":\"" + status + "\",\"scope\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/consentscope\",\"code\":\"patient-privacy\"}]},"
                + "\"category\":[{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"59284-0\"}]}],"
                + "\"patient\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"provision\":{\"type\":\"permit\",\"actor\":[{\"role\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/v3-ParticipationType\",\"code\":\"PRCP\"}]},"
                + "\"reference\":{\"reference\":\"" + actor + "\"}}],"
                + "\"action\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/consentaction\","
                + "\"code\":\"access\"}]}]}}";
    }

    private static List<String> types(JsonNode bundle) {
        List<String> types = new ArrayList<>();
        bundle.path("entry")
                .forEach(e -> types.add(e.at("/resource/resourceType").asText()));
        return types;
    }

    private static String id(JsonNode resource) {
        return resource.at("/id").asText();
    }

    private static JsonNode created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r);
    }
}
