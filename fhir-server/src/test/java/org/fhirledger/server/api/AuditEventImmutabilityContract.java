package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/** AuditEvents cannot be changed or removed through the API, on any path; other resources still can. */
public interface AuditEventImmutabilityContract extends FhirServerUnderTest {

    String FHIR_JSON = "application/fhir+json";

    default String auditEventJson(String id, String outcomeDesc) {
        return "{\"resourceType\":\"AuditEvent\"" + (id == null ? "" : ",\"id\":\"" + id + "\"")
                + ",\"type\":{\"system\":\"http://dicom.nema.org/resources/ontology/DCM\",\"code\":\"110110\"},"
                + "\"recorded\":\"2025-01-01T10:00:00Z\",\"outcome\":\"0\",\"outcomeDesc\":\"" + outcomeDesc + "\","
                + "\"agent\":[{\"requestor\":true,\"who\":{\"display\":\"system\"}}],"
                + "\"source\":{\"observer\":{\"display\":\"fhir-ledger\"}}}";
    }

    default String createAuditEvent(String marker) {
        HttpResponse<String> r = send(
                "POST", "/AuditEvent", FHIR_JSON, auditEventJson(null, marker).getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return ((AuditEvent) ctx().newJsonParser().parseResource(r.body()))
                .getIdElement()
                .getIdPart();
    }

    default void assertUnchanged(String id, String marker) {
        HttpResponse<String> r = send("GET", "/AuditEvent/" + id, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        AuditEvent stored = (AuditEvent) ctx().newJsonParser().parseResource(r.body());
        assertThat(stored.getMeta().getVersionId()).isEqualTo("1");
        assertThat(stored.getOutcomeDesc()).isEqualTo(marker);
        // nobody added a tag; the server's own ledger-status tag (pending, verified...) is not stored content
        assertThat(stored.getMeta().getTag())
                .allSatisfy(t ->
                        assertThat(t.getSystem()).isEqualTo(org.fhirledger.record.CanonicalResource.LEDGER_TAG_SYSTEM));
    }

    default void assertRefusedInPlace405(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(405);
        OperationOutcome oo = (OperationOutcome) ctx().newJsonParser().parseResource(r.body());
        assertThat(oo.getIssueFirstRep().getDiagnostics())
                .containsAnyOf("AuditEvents are immutable", "$meta-add, $meta-delete and $expunge are not supported");
    }

    default void assertRefused405(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(405);
        OperationOutcome oo = (OperationOutcome) ctx().newJsonParser().parseResource(r.body());
        assertThat(oo.getIssueFirstRep().getDiagnostics()).contains("AuditEvents are immutable");
    }

    @Test
    default void updateIsRefused() {
        String marker = UUID.randomUUID().toString();
        String id = createAuditEvent(marker);
        assertRefused405(send(
                "PUT",
                "/AuditEvent/" + id,
                FHIR_JSON,
                auditEventJson(id, "rewritten").getBytes(StandardCharsets.UTF_8)));
        assertUnchanged(id, marker);
    }

    @Test
    default void patchIsRefused() {
        String marker = UUID.randomUUID().toString();
        String id = createAuditEvent(marker);
        String patch = "[{\"op\":\"replace\",\"path\":\"/outcomeDesc\",\"value\":\"rewritten\"}]";
        assertRefused405(send(
                "PATCH", "/AuditEvent/" + id, "application/json-patch+json", patch.getBytes(StandardCharsets.UTF_8)));
        assertUnchanged(id, marker);
    }

    @Test
    default void deleteAndConditionalDeleteAreRefused() {
        String marker = UUID.randomUUID().toString();
        String id = createAuditEvent(marker);
        assertRefused405(send("DELETE", "/AuditEvent/" + id, null, null));
        assertRefused405(send("DELETE", "/AuditEvent?_id=" + id, null, null));
        assertUnchanged(id, marker);
    }

    @Test
    default void tagChangesAreRefused() {
        String marker = UUID.randomUUID().toString();
        String id = createAuditEvent(marker);
        String meta = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"meta\",\"valueMeta\":"
                + "{\"tag\":[{\"system\":\"urn:example\",\"code\":\"x\"}]}}]}";
        // with the ledger on, tag changes are refused for every type before the AuditEvent rule is reached
        assertRefusedInPlace405(
                send("POST", "/AuditEvent/" + id + "/$meta-add", FHIR_JSON, meta.getBytes(StandardCharsets.UTF_8)));
        assertRefusedInPlace405(
                send("POST", "/AuditEvent/" + id + "/$meta-delete", FHIR_JSON, meta.getBytes(StandardCharsets.UTF_8)));
        assertUnchanged(id, marker);
    }

    @Test
    default void transactionRewritingAnAuditEventFailsWhole() {
        String marker = UUID.randomUUID().toString();
        String id = createAuditEvent(marker);
        long before = storedVersionCount();
        String mrn = UUID.randomUUID().toString();
        String tx = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                + "{\"resource\":{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"" + mrn + "\"}]},"
                + "\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},"
                + "{\"resource\":" + auditEventJson(id, "rewritten")
                + ",\"request\":{\"method\":\"PUT\",\"url\":\"AuditEvent/" + id + "\"}},"
                + "{\"request\":{\"method\":\"DELETE\",\"url\":\"AuditEvent/" + id + "\"}}]}";
        HttpResponse<String> r = send("POST", "", FHIR_JSON, tx.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
        assertThat(r.body()).contains("AuditEvents are immutable");
        assertThat(storedVersionCount()).isEqualTo(before);
        assertUnchanged(id, marker);
    }

    @Test
    default void otherResourcesStayUpdatable() {
        HttpResponse<String> created = send(
                "POST",
                "/Basic",
                FHIR_JSON,
                "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"a\"}}".getBytes(StandardCharsets.UTF_8));
        String id = ctx().newJsonParser()
                .parseResource(created.body())
                .getIdElement()
                .getIdPart();
        HttpResponse<String> updated = send(
                "PUT",
                "/Basic/" + id,
                FHIR_JSON,
                ("{\"resourceType\":\"Basic\",\"id\":\"" + id + "\",\"code\":{\"text\":\"b\"}}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(send("DELETE", "/Basic/" + id, null, null).statusCode()).isEqualTo(200);
    }
}
