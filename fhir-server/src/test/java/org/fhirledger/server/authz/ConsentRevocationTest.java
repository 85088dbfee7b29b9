package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.function.UnaryOperator;
import org.fhirledger.ledger.ConsentGrant;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;

/**
 * Every change that makes a mirrored Consent stop granting ends the grant on chain (ConsentRegistry answers, and
 * the clinician is refused), whatever the route: scope, status, actors, classes, period, delete, inside a
 * transaction, by a conditional update; and a Consent that cannot grant what it says is refused.
 */
@ContextConfiguration(initializers = PostgresInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsentRevocationTest extends ServerTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    Ledger ledger;

    @Autowired
    Pseudonyms pseudonyms;

    String custodian;
    String patientToken;
    String patientId;
    String observationId;
    DevTokens.Minted drX;
    DevTokens.Minted drY;

    @BeforeAll
    void story() {
        custodian = bearerToken();
        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(put(admin, "/Practitioner/rev-x", "{\"resourceType\":\"Practitioner\",\"id\":\"rev-x\"}")
                        .statusCode())
                .isIn(200, 201);
        assertThat(put(admin, "/Practitioner/rev-y", "{\"resourceType\":\"Practitioner\",\"id\":\"rev-y\"}")
                        .statusCode())
                .isIn(200, 201);
        drX = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/rev-x");
        drY = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/rev-y");
        patientId = body(created(post(
                        custodian,
                        "/Patient",
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":" + "\"Revocable\"}]}")))
                .at("/id")
                .asText();
        observationId = body(created(post(
                        custodian,
                        "/Observation",
                        "{\"resourceType\":\"Observation\",\"status\":"
                                + "\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/"
                                + patientId + "\"}}")))
                .at("/id")
                .asText();
        patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patientId);
    }

    @Test
    void scopeChangedAwayThenDeletedRevokes() {
        String id = grant();
        assertThat(update(patientToken, id, c -> c.replace("\"code\":\"patient-privacy\"", "\"code\":\"research\"")))
                .isEqualTo(200);
        assertRevoked(drX);
        assertThat(call("DELETE", patientToken, "/Consent/" + id, null).statusCode())
                .isIn(200, 204);
        assertRevoked(drX);
    }

    @Test
    void statusInactiveDraftOrEnteredInErrorRevokes() {
        for (String status : new String[] {"inactive", "draft", "entered-in-error", "rejected", "proposed"}) {
            String id = grant();
            assertThat(update(
                            patientToken, id, c -> c.replace("\"status\":\"active\"", "\"status\":\"" + status + "\"")))
                    .as(status)
                    .isEqualTo(200);
            assertRevoked(drX);
        }
    }

    @Test
    void anotherActorRevokesTheFirst() {
        String id = grant();
        assertThat(update(patientToken, id, c -> c.replace("Practitioner/rev-x", "Practitioner/rev-y")))
                .isEqualTo(200);
        assertRevoked(drX);
        assertThat(chain(drY).actions()).isNotZero();
        assertThat(get(drY.token(), "/Observation/" + observationId).statusCode())
                .isEqualTo(200);
        update(patientToken, id, c -> c.replace("\"status\":\"active\"", "\"status\":\"inactive\""));
        assertRevoked(drY);
    }

    @Test
    void narrowerClassesAndAnEarlierEndNarrowTheChain() {
        String id = grant();
        assertThat(update(
                        patientToken,
                        id,
                        c -> c.replace(
                                "\"provision\":{",
                                "\"provision\":{\"class\":[{\"system\":"
                                        + "\"http://hl7.org/fhir/resource-types\",\"code\":\"DiagnosticReport\"}],")))
                .isEqualTo(200);
        ConsentGrant narrowed = chain(drX);
        assertThat(narrowed.resourceTypes()).isEqualTo(ResourceTypes.maskOf(java.util.List.of("DiagnosticReport")));
        // refused reads answer as a missing id would
        assertThat(get(drX.token(), "/Observation/" + observationId).statusCode())
                .isEqualTo(404);
        assertThat(update(
                        patientToken,
                        id,
                        c -> c.replace(
                                "\"provision\":{",
                                "\"provision\":{\"period\":{\"end\":" + "\"2099-01-01T00:00:00Z\"},")))
                .isEqualTo(200);
        assertThat(chain(drX).expiry())
                .isEqualTo(java.time.Instant.parse("2099-01-01T00:00:00Z").getEpochSecond());
        assertThat(chain(drX).resourceTypes()).isEqualTo(ResourceTypes.ALL);
        update(patientToken, id, c -> c.replace("\"status\":\"active\"", "\"status\":\"inactive\""));
        assertRevoked(drX);
    }

    @Test
    void deleteRevokes() {
        String id = grant();
        assertThat(call("DELETE", patientToken, "/Consent/" + id, null).statusCode())
                .isIn(200, 204);
        assertRevoked(drX);
    }

    @Test
    void insideATransactionRevokes() {
        String id = grant();
        String inactive = consent("inactive")
                .replace("{\"resourceType\":\"Consent\",", "{\"resourceType\":\"Consent\",\"id\":\"" + id + "\",");
        HttpResponse<String> r = post(
                custodian,
                "/",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":" + "[{\"resource\":" + inactive
                        + ",\"request\":{\"method\":\"PUT\",\"url\":\"Consent/" + id + "\"}}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertRevoked(drX);
        String second = grant();
        r = post(
                custodian,
                "/",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":"
                        + "[{\"request\":{\"method\":\"DELETE\",\"url\":\"Consent/" + second + "\"}}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertRevoked(drX);
    }

    @Test
    void aConditionalUpdateRevokes() {
        String id = grant();
        HttpResponse<String> r = put(
                custodian,
                "/Consent?_id=" + id,
                consent("active").replace("\"code\":\"patient-privacy\"", "\"code\":\"treatment\""));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertRevoked(drX);
    }

    @Test
    void aClassThatIsNoResourceTypeIsA422AndGrantsNothing() {
        revokeEverything();
        HttpResponse<String> r = post(
                patientToken,
                "/Consent",
                consent("active")
                        .replace(
                                "\"provision\":{",
                                "\"provision\":{\"class\":[{\"system\":\"http://hl7.org/fhir/resource-types\",\"code\":\"Observaton\"}],"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(body(r).at("/resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(r.body()).contains("Observaton").contains("not a FHIR R4 resource type");
        assertThat(chain(drX).actions()).isZero();
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A fresh active Consent of the patient for rev-x: on chain and effective. */
    private String grant() {
        HttpResponse<String> r = post(patientToken, "/Consent", consent("active"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(chain(drX).actions()).isNotZero();
        assertThat(get(drX.token(), "/Observation/" + observationId).statusCode())
                .isEqualTo(200);
        return body(r).at("/id").asText();
    }

    private void assertRevoked(DevTokens.Minted dr) {
        assertThat(chain(dr).actions()).as("ConsentRegistry still grants").isZero();
        HttpResponse<String> r = get(dr.token(), "/Observation/" + observationId);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404); // refused, answered as a missing id
    }

    /** Ends whatever a test left granted, through the custodian (so each test starts from nothing). */
    private void revokeEverything() {
        JsonNode active = body(get(custodian, "/Consent?patient=Patient/" + patientId + "&status=active&_count=100"));
        for (JsonNode e : active.path("entry")) {
            String id = e.at("/resource/id").asText();
            assertThat(call("DELETE", custodian, "/Consent/" + id, null).statusCode())
                    .isIn(200, 204);
        }
        assertThat(chain(drX).actions()).isZero();
    }

    private ConsentGrant chain(DevTokens.Minted dr) {
        return ledger.consentOf(pseudonyms.of("Patient", patientId), dr.ledgerAddress());
    }

    private int update(String token, String id, UnaryOperator<String> change) {
        String body = change.apply(consent("active"))
                .replace("{\"resourceType\":\"Consent\",", "{\"resourceType\":\"Consent\",\"id\":\"" + id + "\",");
        HttpResponse<String> r = put(token, "/Consent/" + id, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.statusCode();
    }

    private String consent(String status) {
        return AuthorizationMatrixTest.consent(patientId, "Practitioner/rev-x", status);
    }

    private static HttpResponse<String> created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return r;
    }
}
