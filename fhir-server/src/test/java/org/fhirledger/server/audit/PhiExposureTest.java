package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.ContextConfiguration;

/**
 * Where request values could leak besides the response: the AuditEvents that auditors and patients read, the
 * server log, and the files under the data directory (the embedded default: H2 file, local content store).
 */
@ContextConfiguration(initializers = H2FileInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class PhiExposureTest extends ServerTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    // values a request may carry that must never be repeated to an auditor, another patient or the log
    private final String family = "Phinneas" + UUID.randomUUID().toString().substring(0, 8);
    private final String birthDate = "1961-03-17";
    private final String marker = "phi-" + UUID.randomUUID().toString().substring(0, 8);

    String drA;
    String drB;
    String auditor;
    String patientToken;
    String patientId;
    String otherPatientId;

    @BeforeAll
    void story() {
        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(call("PUT", admin, "/Practitioner/phi-a", practitioner("phi-a"))
                        .statusCode())
                .isIn(200, 201);
        assertThat(call("PUT", admin, "/Practitioner/phi-b", practitioner("phi-b"))
                        .statusCode())
                .isIn(200, 201);
        drA = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/phi-a");
        drB = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/phi-b");
        auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);
        patientId = created(call(
                "POST",
                drA,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"birthDate\":\"" + birthDate
                        + "\"}"));
        otherPatientId = created(call(
                "POST", drA, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}"));
        created(call(
                "POST",
                drA,
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\","
                        + "\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/" + patientId + "\"},"
                        + "\"identifier\":[{\"value\":\"" + marker + "\"}]}"));
        patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patientId);
    }

    @Test
    @Order(1)
    void requestValuesNeverReachTheLogAndRefusalsAreOneLine(CapturedOutput output) {
        int before = output.getAll().length();
        // searches with PHI values, allowed and refused
        HttpResponse<String> found =
                call("GET", drA, "/Patient?_id=" + patientId + "&birthdate=" + birthDate + "&name=" + family, null);
        assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
        assertThat(call("GET", drB, "/Patient?_id=" + otherPatientId + "," + patientId + "&name=" + family, null)
                        .statusCode())
                .isEqualTo(403);
        // malformed search values
        assertThat(call("GET", drA, "/Patient?_id=" + patientId + "&birthdate=" + marker, null)
                        .statusCode())
                .isEqualTo(400);
        assertThat(call("GET", drA, "/Observation?patient=Patient/" + patientId + "&value-quantity=" + marker, null)
                        .statusCode())
                .isBetween(400, 499);
        // refusals of a clinician without consent, and a conditional delete naming a PHI value
        for (int i = 0; i < 5; i++) {
            // a refused read answers as a missing id would (404), and is still one line in the log
            assertThat(call("GET", drB, "/Patient/" + patientId, null).statusCode())
                    .isEqualTo(404);
        }
        assertThat(call("DELETE", drB, "/Observation?identifier=" + marker, null)
                        .statusCode())
                .isBetween(400, 499);
        // a value too long for the database's index columns
        HttpResponse<String> tooLong = call(
                "POST",
                drA,
                "/Observation",
                "{\"resourceType\":\"Observation\","
                        + "\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/"
                        + patientId
                        + "\"},\"valueQuantity\":{\"value\":1,\"system\":\"http://unitsofmeasure.org\",\"code\":\""
                        + marker
                        + "x".repeat(300) + "\"}}");
        assertThat(tooLong.statusCode()).as(tooLong.body()).isBetween(400, 499);
        assertThat(tooLong.body()).doesNotContain(marker).doesNotContainIgnoringCase("SQL");

        String log = output.getAll().substring(before);
        for (String value : List.of(family, birthDate, marker)) {
            assertThat(log).as("the log repeats a request value").doesNotContain(value);
        }
        assertThat(log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by:")))
                .as("no stack trace for a refusal or bad input")
                .isEmpty();
        assertThat(log.lines().filter(l -> l.contains(" ERROR ")))
                .as("refusals and bad input are no server errors")
                .isEmpty();
    }

    @Test
    @Order(2)
    void auditorsSeeWhoAccessedWhatButNoRequestValue() {
        List<JsonNode> events = auditEvents(auditor, "/AuditEvent?_count=200");
        assertThat(events).isNotEmpty();
        assertThat(events)
                .anySatisfy(e -> assertThat(e.at("/subtype/0/code").asText()).isEqualTo("search-type"));
        for (JsonNode e : events) {
            String text = readable(e);
            assertThat(text).doesNotContain(family).doesNotContain(birthDate).doesNotContain(marker);
            for (JsonNode entity : e.path("entity"))
                assertThat(entity.has("query")).as(text).isFalse();
        }
        // the query is still verifiable: searches carry a keyed hash of it and the names of its parameters
        assertThat(events).anySatisfy(e -> assertThat(queryDetails(e)).contains("_id,birthdate,name"));
    }

    @Test
    @Order(3)
    void aPatientsTrailNamesNoOtherPatient() {
        List<JsonNode> events = auditEvents(patientToken, "/AuditEvent?patient=Patient/" + patientId + "&_count=200");
        assertThat(events).anySatisfy(e -> assertThat(e.at("/outcome").asText()).isEqualTo("4"));
        for (JsonNode e : events) {
            String text = readable(e);
            assertThat(text)
                    .doesNotContain(family)
                    .doesNotContain(birthDate)
                    .doesNotContain(marker)
                    .doesNotContain("Patient/" + otherPatientId + "\"")
                    .doesNotContain("Patient/" + otherPatientId + " ")
                    .doesNotContain("_id=");
            for (JsonNode entity : e.path("entity")) {
                String what = entity.at("/what/reference")
                        .asText(entity.at("/what/identifier/value").asText());
                assertThat(what).isNotEqualTo("Patient/" + otherPatientId);
            }
        }
    }

    @Test
    @Order(4)
    void nothingUnderTheDataDirectoryIsReadableByOthers() throws IOException {
        List<String> open = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dataDir())) {
            all.forEach(p -> {
                try {
                    for (PosixFilePermission perm : Files.getPosixFilePermissions(p)) {
                        if (perm.name().startsWith("GROUP_") || perm.name().startsWith("OTHERS_")) {
                            open.add(dataDir().relativize(p) + " "
                                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                            break;
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        assertThat(Files.exists(dataDir().resolve("h2"))).isTrue();
        assertThat(open).as("group/other may access these").isEmpty();
    }

    private List<JsonNode> auditEvents(String token, String path) {
        HttpResponse<String> r = call("GET", token, path, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        body(r).path("entry").forEach(en -> events.add(en.path("resource")));
        return events;
    }

    /** The event as text, with any base64 query decoded (what a reader of the event can read). */
    private static String readable(JsonNode event) {
        StringBuilder s = new StringBuilder(event.toString());
        for (JsonNode entity : event.path("entity")) {
            if (entity.has("query")) {
                s.append(' ')
                        .append(new String(
                                java.util.Base64.getDecoder()
                                        .decode(entity.get("query").asText()),
                                StandardCharsets.UTF_8));
            }
        }
        return s.toString();
    }

    private static String queryDetails(JsonNode event) {
        StringBuilder s = new StringBuilder();
        for (JsonNode entity : event.path("entity")) {
            for (JsonNode d : entity.path("detail"))
                s.append(d.path("valueString").asText()).append(' ');
        }
        return s.toString();
    }

    private static String practitioner(String id) {
        return "{\"resourceType\":\"Practitioner\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"" + id + "\"}]}";
    }

    private static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).at("/id").asText();
    }
}
