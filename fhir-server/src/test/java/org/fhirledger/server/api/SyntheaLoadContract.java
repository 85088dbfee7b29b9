package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.util.FhirTerser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/** A realistic EHR export (Synthea) loads completely: every entry stored, every reference resolved. */
public interface SyntheaLoadContract extends FhirServerUnderTest {

    default Bundle bundle(String name) {
        try (InputStream in = SyntheaLoadContract.class.getResourceAsStream("/synthea/" + name)) {
            return (Bundle) ctx().newJsonParser().parseResource(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    default void syntheaPatientBundleLoadsCompletelyWithReferencesResolved() {
        // Synthea's patient bundle refers to organizations and practitioners by conditional reference, so the
        // hospital and practitioner bundles go first, as Synthea intends.
        for (String shared : new String[] {"hospitals-batch.json", "practitioners-batch.json"}) {
            Bundle resp = client().transaction().withBundle(bundle(shared)).execute();
            assertThat(resp.getEntry())
                    .allSatisfy(e -> assertThat(e.getResponse().getStatus()).matches("20[01].*"));
        }

        Bundle tx = bundle("patient-transaction.json");
        Map<String, Integer> sent = new HashMap<>();
        tx.getEntry().forEach(e -> sent.merge(e.getResource().fhirType(), 1, Integer::sum));
        Bundle resp = client().transaction().withBundle(tx).execute();
        assertThat(resp.getEntry()).hasSize(tx.getEntry().size());
        assertThat(resp.getEntry())
                .allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));

        FhirTerser terser = ctx().newTerser();
        Map<String, Integer> stored = new HashMap<>();
        Set<String> targets = new HashSet<>();
        for (Bundle.BundleEntryComponent e : resp.getEntry()) {
            String location = e.getResponse().getLocation();
            Resource r = (Resource) client().read()
                    .resource(location.split("/")[0])
                    .withUrl(location.replaceAll("/_history/.*", ""))
                    .execute();
            stored.merge(r.fhirType(), 1, Integer::sum);
            for (Reference ref : terser.getAllPopulatedChildElementsOfType(r, Reference.class)) {
                String target = ref.getReference();
                if (target == null || target.startsWith("#")) {
                    continue;
                }
                assertThat(target)
                        .as("reference in %s", location)
                        .doesNotStartWith("urn:")
                        .doesNotContain("?");
                targets.add(target);
            }
        }
        assertThat(stored).isEqualTo(sent);
        assertThat(stored)
                .containsKeys("Patient", "Encounter", "Observation", "DiagnosticReport", "Condition", "Claim");
        // Every reference points at a resource that is really there.
        for (String target : targets) {
            assertThat(client().read()
                            .resource(target.split("/")[0])
                            .withId(target.split("/")[1])
                            .execute())
                    .as(target)
                    .isNotNull();
        }
        assertThat(targets).anyMatch(t -> t.startsWith("Organization/")).anyMatch(t -> t.startsWith("Practitioner/"));
    }
}
