package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.testing.RealTransactions;
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

    /**
     * A version written in a transaction that commits is found next without being read back (an Observation's
     * report, written just after it); one whose transaction rolled back leaves nothing behind, and a version that
     * was never the committed one is never answered from what was kept.
     */
    @Test
    void aCommittedWriteIsKeptAndARolledBackOneIsNot() {
        Map<String, IBaseResource> rows = new java.util.HashMap<>();
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        Compartments cached = new Compartments(CTX, new PatientLinks(CTX), new Compartments.Lookup() {
            @Override
            public Optional<IBaseResource> read(String type, String id) {
                reads.incrementAndGet();
                return Optional.ofNullable(rows.get(type + "/" + id));
            }

            @Override
            public Set<String> patientsWithIdentifier(String system, String value) {
                return Set.of();
            }

            @Override
            public Optional<String> currentVersion(String type, String id) {
                return Optional.ofNullable(rows.get(type + "/" + id))
                        .map(r -> r.getIdElement().getVersionIdPart() + "@"
                                + r.getMeta().getLastUpdated().getTime());
            }
        });
        IBaseResource kept = written("kept", "p2", 1_000L);
        IBaseResource lost = written("lost", "p3", 2_000L);

        RealTransactions.inNew(() -> cached.ownershipOfWritten(kept), true);
        RealTransactions.inNew(() -> cached.ownershipOfWritten(lost), false);
        rows.put("Observation/kept", kept);
        // the rolled-back version's id was then taken by another write, for another patient
        rows.put("Observation/lost", written("lost", "p4", 3_000L));

        assertThat(cached.ownership(reportOn("kept")).patients()).containsExactly("p2");
        assertThat(reads).as("a committed write's pointers, kept").hasValue(0);
        assertThat(cached.ownership(reportOn("lost")).patients()).containsExactly("p4");
        assertThat(reads).as("nothing kept of a rolled-back write").hasValue(1);

        // within one transaction (a bundle): what it wrote is found by what it writes next, then dropped with it
        IBaseResource inBundle = written("bundled", "p5", 4_000L);
        RealTransactions.inNew(
                () -> {
                    cached.ownershipOfWritten(inBundle);
                    rows.put("Observation/bundled", inBundle); // the session sees its own transaction's write
                    assertThat(cached.ownership(reportOn("bundled")).patients()).containsExactly("p5");
                },
                false);
        assertThat(reads).as("the transaction's own write, not read back").hasValue(1);
        assertThat(cached.ownership(reportOn("bundled")).patients()).containsExactly("p5");
        assertThat(reads).as("and not kept after it rolled back").hasValue(2);

        // a transaction suspended for another (REQUIRES_NEW) that rolls back: the outer one's commit keeps only its own
        IBaseResource outer = written("outer", "p6", 5_000L);
        IBaseResource inner = written("inner", "p7", 6_000L);
        RealTransactions.inNew(
                () -> {
                    cached.ownershipOfWritten(outer);
                    RealTransactions.inNew(
                            () -> cached.ownershipOfWritten(inner), false); // REQUIRES_NEW: suspends this one
                    rows.put("Observation/outer", outer);
                    assertThat(cached.ownership(reportOn("outer")).patients()).containsExactly("p6");
                },
                true);
        assertThat(reads)
                .as("the outer transaction's own write, found again once it resumed")
                .hasValue(2);
        rows.put("Observation/inner", inner);
        assertThat(cached.ownership(reportOn("outer")).patients()).containsExactly("p6");
        assertThat(reads).as("the outer transaction's write, kept").hasValue(2);
        assertThat(cached.ownership(reportOn("inner")).patients()).containsExactly("p7");
        assertThat(reads).as("the rolled-back inner one's, not kept").hasValue(3);
    }

    private static IBaseResource written(String id, String patient, long lastUpdated) {
        IBaseResource r = parse("{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"meta\":{\"versionId\":"
                + "\"1\"},\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":"
                + "\"Patient/" + patient + "\"}}");
        r.setId("Observation/" + id + "/_history/1");
        r.getMeta().setLastUpdated(new java.util.Date(lastUpdated));
        return r;
    }

    private static IBaseResource reportOn(String observation) {
        return parse("{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
                + "\"result\":[{\"reference\":\"Observation/" + observation + "\"}]}");
    }
}
