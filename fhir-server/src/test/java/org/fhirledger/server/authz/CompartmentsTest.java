package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fhirledger.server.record.PatientLinks;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.Test;

/** Whose data a resource is, over a small in-memory store: identifiers, one link deep, default-deny. */
class CompartmentsTest {

    private static final FhirContext CTX = FhirContext.forR4Cached();

    private final Map<String, IBaseResource> stored = Map.of(
            "Observation/o1",
                    parse("{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":"
                            + "{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"}}"),
            "Provenance/v1",
                    parse("{\"resourceType\":\"Provenance\",\"id\":\"v1\",\"target\":[{\"reference\":"
                            + "\"Observation/o1\"}]}"));

    private final Compartments compartments = new Compartments(CTX, new PatientLinks(CTX), new Compartments.Lookup() {
        @Override
        public Optional<IBaseResource> read(String type, String id) {
            return Optional.ofNullable(stored.get(type + "/" + id));
        }

        @Override
        public Set<String> patientsWithIdentifier(String system, String value) {
            return "MRN-P1".equals(value) ? Set.of("p1") : Set.of();
        }
    });

    private static IBaseResource parse(String json) {
        return CTX.newJsonParser().parseResource(json);
    }

    @Test
    void identifiersResolveToStoredPatientsOrLeaveItUnresolved() {
        String obs = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":"
                + "{\"identifier\":{\"system\":\"urn:mrn\",\"value\":\"%s\"}}}";
        assertThat(compartments.ownership(parse(obs.formatted("MRN-P1"))))
                .isEqualTo(new Compartments.Ownership(Set.of("p1"), false, false));
        assertThat(compartments.ownership(parse(obs.formatted("MRN-X"))).unresolved())
                .isTrue();
    }

    @Test
    void linksAreFollowedOneStep() {
        assertThat(compartments.ownership(parse(
                        "{\"resourceType\":\"Provenance\",\"target\":[{\"reference\":" + "\"Observation/o1\"}]}")))
                .isEqualTo(new Compartments.Ownership(Set.of("p1"), false, false));
        // a Provenance of that Provenance: its patient is two links away
        assertThat(compartments.ownership(
                        parse("{\"resourceType\":\"Provenance\",\"target\":[{\"reference\":" + "\"Provenance/v1\"}]}")))
                .isEqualTo(new Compartments.Ownership(Set.of(), true, false));
        assertThat(compartments
                        .ownership(parse("{\"resourceType\":\"List\",\"status\":\"current\",\"mode\":"
                                + "\"working\",\"entry\":[{\"item\":{\"reference\":\"Observation/gone\"}}]}"))
                        .unresolved())
                .isTrue();
        assertThat(compartments
                        .ownership(parse("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":"
                                + "\"x\"},\"subject\":{\"reference\":\"Patient?identifier=urn:mrn|MRN-P1\"}}"))
                        .pending())
                .as("a conditional reference not yet resolved")
                .isTrue();
    }

    @Test
    void typesOutsideTheCompartmentAreSearchedByTheirPatientReferences() {
        assertThat(compartments.isPatientData("Task")).isTrue();
        assertThat(compartments.patientParams("Task")).contains("patient");
        assertThat(compartments.isPatientData("Provenance")).isTrue();
        assertThat(compartments.isPatientData("ValueSet")).isFalse();
        assertThat(compartments.isPatientData("SearchParameter")).isFalse();
        assertThat(compartments.isPatientData("ImplementationGuide"))
                .as("a definition")
                .isFalse();
        assertThat(compartments.isPatientData("Practitioner")).isFalse();
        TreeSet<String> unsearchable = new TreeSet<>();
        for (String type : CTX.getResourceTypes()) {
            if (compartments.isPatientData(type)
                    && !"Patient".equals(type)
                    && compartments.patientParams(type).isEmpty()) {
                unsearchable.add(type);
            }
        }
        System.out.println("patient-data types searched by the custodian only: " + unsearchable);
    }
}
