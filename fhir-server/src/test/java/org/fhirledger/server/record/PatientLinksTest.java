package org.fhirledger.server.record;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.TreeSet;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.Test;

/** What the content of a resource says about whose data it is, and which types can say it at all. */
class PatientLinksTest {

    private static final FhirContext CTX = FhirContext.forR4Cached();
    private final PatientLinks links = new PatientLinks(CTX);

    private PatientLinks.Found of(String json) {
        return links.of((IBaseResource) CTX.newJsonParser().parseResource(json));
    }

    @Test
    void typesThatCanPointAtAPatientComeFromTheModel() {
        assertThat(links.canCarryPatientData("Patient")).isTrue();
        for (String type : new String[] {
            "Observation",
            "Task",
            "Provenance",
            "List",
            "Group",
            "Contract",
            "GuidanceResponse",
            "Consent",
            "Parameters",
            "DocumentReference",
            "Communication"
        }) {
            assertThat(links.canCarryPatientData(type)).as(type).isTrue();
        }
        for (String type : new String[] {
            "ValueSet",
            "CodeSystem",
            "Medication",
            "Substance",
            "StructureDefinition",
            "SearchParameter",
            "Practitioner",
            "Organization",
            "Location",
            "Endpoint",
            "PractitionerRole",
            "HealthcareService",
            "OrganizationAffiliation"
        }) {
            assertThat(links.canCarryPatientData(type)).as(type).isFalse();
        }
        TreeSet<String> cannot = new TreeSet<>();
        for (String type : CTX.getResourceTypes()) if (!links.canCarryPatientData(type)) cannot.add(type);
        System.out.println("types that cannot carry patient data: " + cannot);
    }

    @Test
    void referencesAnywhereIdentifiersContainedPatientsAndLinksAreFound() {
        PatientLinks.Found task = of("{\"resourceType\":\"Task\",\"status\":\"draft\",\"intent\":\"order\","
                + "\"for\":{\"reference\":\"Patient/p1\"},\"focus\":{\"reference\":\"Observation/7\"},"
                + "\"note\":[{\"authorReference\":{\"reference\":\"Patient/p2\"},\"text\":\"x\"}]}");
        assertThat(task.patients()).containsExactlyInAnyOrder("p1", "p2");
        assertThat(task.linked()).containsExactly("Observation/7");
        assertThat(task.unresolvable()).isFalse();

        PatientLinks.Found byIdentifier =
                of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                        + "\"x\"},\"subject\":{\"identifier\":{\"system\":\"urn:mrn\",\"value\":\"42\"}}}");
        assertThat(byIdentifier.patients()).isEmpty();
        assertThat(byIdentifier.patientIdentifiers()).hasSize(1);

        PatientLinks.Found contained = of(
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                        + "\"x\"},\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"c\"}],\"subject\":{\"reference\":\"#c\"}}");
        assertThat(contained.unresolvable()).isTrue();

        PatientLinks.Found display = of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                + "\"x\"},\"subject\":{\"display\":\"Jane Doe\"}}");
        assertThat(display.unresolvable()).isTrue();

        PatientLinks.Found extension = of("{\"resourceType\":\"ValueSet\",\"status\":\"draft\",\"extension\":[{\"url\":"
                + "\"urn:x\",\"valueReference\":{\"reference\":\"Patient/p3\"}}]}");
        assertThat(extension.patients()).containsExactly("p3");

        PatientLinks.Found external = of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                + "\"x\"},\"subject\":{\"reference\":\"http://elsewhere.example/fhir/Patient/1\"}}");
        assertThat(external.unresolvable()).isTrue();
        assertThat(external.patients()).isEmpty();

        PatientLinks.Found practitionerOnly =
                of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                        + "\"x\"},\"performer\":[{\"reference\":\"Practitioner/1\"}]}");
        assertThat(practitionerOnly.patients()).isEmpty();
        assertThat(practitionerOnly.linked()).isEmpty();
        assertThat(practitionerOnly.unresolvable()).isFalse();
    }

    /**
     * A Provenance's source entity naming a version on another server by URL says where a record came from, not whose
     * it is: it counts for nothing, so the targets decide; alone, or in any other shape, it stays unresolvable.
     */
    @Test
    void aProvenanceSourceElsewhereByUrlLeavesTheTargetsToDecide() {
        String source = "\"entity\":[{\"role\":\"source\",\"what\":{\"type\":\"Observation\",\"identifier\":"
                + "{\"system\":\"urn:ietf:rfc:3986\",\"value\":\"https://a.example/fhir/Observation/5/_history/2\"}}}]";
        PatientLinks.Found imported = of("{\"resourceType\":\"Provenance\",\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"target\":[{\"reference\":\"Observation/o1/_history/1\"},{\"reference\":\"Patient/p1\"}],"
                + source + "}");
        assertThat(imported.patients()).containsExactly("p1");
        assertThat(imported.linked()).containsExactly("Observation/o1");
        assertThat(imported.unresolvable()).isFalse();

        PatientLinks.Found alone = of("{\"resourceType\":\"Provenance\",\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"target\":[{\"display\":\"something\"}]," + source + "}");
        assertThat(alone.unresolvable()).isTrue();
        PatientLinks.Found noTarget =
                of("{\"resourceType\":\"Provenance\",\"recorded\":\"2026-01-01T00:00:00Z\"," + source + "}");
        assertThat(noTarget.unresolvable()).isTrue();

        // another shape (an absolute reference, another identifier system) is followed as before: unresolvable
        PatientLinks.Found absolute = of("{\"resourceType\":\"Provenance\",\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"target\":[{\"reference\":\"Patient/p1\"}],\"entity\":[{\"role\":\"source\",\"what\":"
                + "{\"reference\":\"https://a.example/fhir/Observation/5\"}}]}");
        assertThat(absolute.unresolvable()).isTrue();
        PatientLinks.Found otherSystem = of("{\"resourceType\":\"Provenance\",\"recorded\":\"2026-01-01T00:00:00Z\","
                + "\"target\":[{\"reference\":\"Patient/p1\"}],\"entity\":[{\"role\":\"source\",\"what\":"
                + "{\"identifier\":{\"system\":\"urn:mrn\",\"value\":\"https://a.example/fhir/Observation/5\"}}}]}");
        assertThat(otherSystem.unresolvable()
                        || !otherSystem.patientIdentifiers().isEmpty())
                .isTrue();
        // the same identifier elsewhere than a Provenance's entity is no exception
        PatientLinks.Found observation = of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":"
                + "{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"},\"focus\":[{\"identifier\":"
                + "{\"system\":\"urn:ietf:rfc:3986\",\"value\":\"https://a.example/fhir/Observation/5\"}}]}");
        assertThat(observation.unresolvable()
                        || !observation.patientIdentifiers().isEmpty())
                .isTrue();
    }

    @Test
    void aConsentActorNamedByLedgerAccountIsNoPatientButOnlyThere() {
        String account = "{\"identifier\":{\"system\":\"" + AuditShape.LEDGER_ADDRESS_SYSTEM
                + "\",\"value\":\"0x00000000000000000000000000000000000000aa\"}}";
        PatientLinks.Found consent = of("{\"resourceType\":\"Consent\",\"status\":\"active\","
                + "\"scope\":{\"text\":\"x\"},\"category\":[{\"text\":\"x\"}],"
                + "\"patient\":{\"reference\":\"Patient/p1\"},\"provision\":{\"actor\":[{\"role\":{\"text\":"
                + "\"x\"},\"reference\":" + account + "}]}}");
        assertThat(consent.patients()).containsExactly("p1");
        assertThat(consent.patientIdentifiers()).isEmpty();
        assertThat(consent.unresolvable()).isFalse();

        // elsewhere an account names someone who may be a patient here: it cannot be followed
        PatientLinks.Found observation = of("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":"
                + "{\"text\":\"x\"},\"subject\":" + account + "}");
        assertThat(observation.patientIdentifiers()).hasSize(1);
        PatientLinks.Found consentSource = of("{\"resourceType\":\"Consent\",\"status\":\"active\","
                + "\"scope\":{\"text\":\"x\"},\"category\":[{\"text\":\"x\"}],"
                + "\"patient\":{\"reference\":\"Patient/p1\"},\"sourceReference\":" + account + "}");
        assertThat(consentSource.unresolvable()).isTrue();
    }

    @Test
    void theLedgerOwnerIsTheSmallestReferencedPatient() {
        assertThat(
                        links.ledgerOwnerOf(
                                (IBaseResource)
                                        CTX.newJsonParser()
                                                .parseResource(
                                                        "{\"resourceType\":"
                                                                + "\"Provenance\",\"target\":[{\"reference\":\"Patient/b\"},{\"reference\":\"Patient/a\"}]}")))
                .contains("Patient/a");
    }
}
