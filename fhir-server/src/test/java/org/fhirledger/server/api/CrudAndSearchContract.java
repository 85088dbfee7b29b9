package org.fhirledger.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * Standard FHIR REST behaviour for the resource types the product centres on. Each test makes its own data,
 * tagged with a fresh identifier, so tests stay independent on a shared database.
 */
public interface CrudAndSearchContract extends FhirServerUnderTest {

    String MRN = "urn:oid:1.2.36.146.595.217.0.1";
    String NPI = "http://hl7.org/fhir/sid/us-npi";
    String LOINC = "http://loinc.org";

    default Patient newPatient(String family) {
        Patient p = new Patient();
        p.addIdentifier().setSystem(MRN).setValue(UUID.randomUUID().toString());
        p.addName().setFamily(family).addGiven("Ada");
        p.setGender(AdministrativeGender.FEMALE);
        return p;
    }

    default IdType create(org.hl7.fhir.r4.model.Resource r) {
        MethodOutcome out = client().create().resource(r).execute();
        assertThat(out.getCreated()).isTrue();
        return (IdType) out.getId();
    }

    default DiagnosticReport newReport(IdType patient, String loinc, String effective) {
        DiagnosticReport r = new DiagnosticReport();
        r.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
        r.getCode().addCoding().setSystem(LOINC).setCode(loinc).setDisplay("Lab report");
        r.setSubject(new Reference(patient.toUnqualifiedVersionless()));
        r.setEffective(new DateTimeType(effective));
        r.setConclusion("Within normal limits");
        return r;
    }

    @Test
    default void metadataIsACapabilityStatementListingClinicalTypes() {
        CapabilityStatement cs =
                client().capabilities().ofType(CapabilityStatement.class).execute();
        assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
        assertThat(cs.getSoftware().getName()).isEqualTo("fhir-ledger");
        assertThat(cs.getImplementation().getDescription()).contains("hybrid ledger");
        List<String> types = cs.getRestFirstRep().getResource().stream()
                .map(CapabilityStatement.CapabilityStatementRestResourceComponent::getType)
                .collect(Collectors.toList());
        assertThat(types)
                .contains(
                        "Patient",
                        "Practitioner",
                        "DiagnosticReport",
                        "Observation",
                        "Encounter",
                        "Condition",
                        "Claim",
                        "AuditEvent",
                        "Consent",
                        "MedicationRequest");
    }

    @Test
    default void patientCreateReadVreadUpdateHistoryDelete() {
        IGenericClient c = client();
        IdType id = create(newPatient("Lovelace"));
        assertThat(id.getVersionIdPart()).isEqualTo("1");

        Patient read = c.read().resource(Patient.class).withId(id.getIdPart()).execute();
        assertThat(read.getNameFirstRep().getFamily()).isEqualTo("Lovelace");

        read.getNameFirstRep().setFamily("King");
        MethodOutcome updated = c.update().resource(read).execute();
        assertThat(updated.getId().getVersionIdPart()).isEqualTo("2");

        Patient v1 = c.read()
                .resource(Patient.class)
                .withIdAndVersion(id.getIdPart(), "1")
                .execute();
        assertThat(v1.getNameFirstRep().getFamily()).isEqualTo("Lovelace");
        Patient current =
                c.read().resource(Patient.class).withId(id.getIdPart()).execute();
        assertThat(current.getNameFirstRep().getFamily()).isEqualTo("King");
        assertThat(current.getMeta().getVersionId()).isEqualTo("2");

        Bundle history = c.history()
                .onInstance(id.toUnqualifiedVersionless())
                .returnBundle(Bundle.class)
                .execute();
        assertThat(history.getEntry()).hasSize(2);

        c.delete().resourceById(id.toUnqualifiedVersionless()).execute();
        assertThatThrownBy(() ->
                        c.read().resource(Patient.class).withId(id.getIdPart()).execute())
                .isInstanceOf(ResourceGoneException.class);
        Bundle afterDelete = c.history()
                .onInstance(id.toUnqualifiedVersionless())
                .returnBundle(Bundle.class)
                .execute();
        assertThat(afterDelete.getEntry()).hasSize(3);
        // Older versions stay readable: deletion is a new version, not erasure.
        assertThat(c.read()
                        .resource(Patient.class)
                        .withIdAndVersion(id.getIdPart(), "2")
                        .execute()
                        .getNameFirstRep()
                        .getFamily())
                .isEqualTo("King");
    }

    @Test
    default void staleIfMatchIs412AndCurrentIfMatchUpdates() {
        IdType id = create(newPatient("Locking"));
        String body =
                "{\"resourceType\":\"Patient\",\"id\":\"" + id.getIdPart() + "\",\"name\":[{\"family\":\"Second\"}]}";
        java.net.http.HttpResponse<String> stale = sendWithIfMatch("/Patient/" + id.getIdPart(), "W/\"7\"", body);
        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(412);
        assertThat(stale.body()).contains("OperationOutcome");
        java.net.http.HttpResponse<String> current = sendWithIfMatch("/Patient/" + id.getIdPart(), "W/\"1\"", body);
        assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
        // The earlier stale write changed nothing: this is version 2, from the current If-Match.
        assertThat(client().read()
                        .resource(Patient.class)
                        .withId(id.getIdPart())
                        .execute()
                        .getMeta()
                        .getVersionId())
                .isEqualTo("2");
    }

    default java.net.http.HttpResponse<String> sendWithIfMatch(String path, String ifMatch, String body) {
        return exchange(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + path))
                        .header("Content-Type", "application/fhir+json")
                        .header("If-Match", ifMatch)
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)),
                true);
    }

    @Test
    default void deleteBlockedByAReferenceStays409() {
        IdType patient = create(newPatient("Referenced"));
        create(newReport(patient, "2345-7", "2024-03-01"));
        java.net.http.HttpResponse<String> r = send("DELETE", "/Patient/" + patient.getIdPart(), null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
    }

    @Test
    default void readingAnUnknownIdIs404() {
        assertThatThrownBy(() -> client().read()
                        .resource(Patient.class)
                        .withId("does-not-exist-" + UUID.randomUUID())
                        .execute())
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    default void patientSearchByName() {
        String family = "Zq" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        create(newPatient(family));
        create(newPatient(family));
        create(newPatient("Other" + family));
        Bundle exact = client().search()
                .forResource(Patient.class)
                .where(Patient.FAMILY.matchesExactly().value(family))
                .returnBundle(Bundle.class)
                .execute();
        assertThat(exact.getEntry()).hasSize(2);
        // name= is a prefix, case-insensitive match over any part of the name
        Bundle prefix = client().search()
                .byUrl("Patient?name=" + family.toLowerCase().substring(0, 8))
                .returnBundle(Bundle.class)
                .execute();
        assertThat(prefix.getEntry()).hasSize(2);
    }

    @Test
    default void practitionerCrudAndSearchByIdentifier() {
        String npi =
                String.valueOf(1_000_000_000L + Math.abs(UUID.randomUUID().getMostSignificantBits() % 900_000_000L));
        Practitioner p = new Practitioner();
        p.addIdentifier().setSystem(NPI).setValue(npi);
        p.addName().setFamily("Hopper").addPrefix("Dr.");
        IdType id = create(p);

        Bundle found = client().search()
                .byUrl("Practitioner?identifier=" + NPI + "|" + npi)
                .returnBundle(Bundle.class)
                .execute();
        assertThat(found.getEntry()).hasSize(1);
        assertThat(found.getEntryFirstRep().getResource().getIdElement().getIdPart())
                .isEqualTo(id.getIdPart());

        Practitioner read = client().read()
                .resource(Practitioner.class)
                .withId(id.getIdPart())
                .execute();
        read.addQualification().getCode().setText("MD");
        assertThat(client().update().resource(read).execute().getId().getVersionIdPart())
                .isEqualTo("2");
        assertThat(client().search()
                        .byUrl("Practitioner?identifier=" + NPI + "|0" + npi)
                        .returnBundle(Bundle.class)
                        .execute()
                        .getEntry())
                .isEmpty();

        client().delete().resourceById(id.toUnqualifiedVersionless()).execute();
        assertThat(client().search()
                        .byUrl("Practitioner?identifier=" + NPI + "|" + npi)
                        .returnBundle(Bundle.class)
                        .execute()
                        .getEntry())
                .isEmpty();
    }

    @Test
    default void diagnosticReportCrudAndSearches() {
        IdType patient = create(newPatient("Report"));
        IdType other = create(newPatient("Other"));
        IdType glucose = create(newReport(patient, "2345-7", "2024-03-01T10:00:00Z"));
        IdType lipid = create(newReport(patient, "57698-3", "2025-06-15T09:30:00Z"));
        create(newReport(other, "2345-7", "2024-03-01T10:00:00Z"));

        String subject = patient.toUnqualifiedVersionless().getValue();
        assertThat(ids("DiagnosticReport?subject=" + subject))
                .containsExactlyInAnyOrder(glucose.getIdPart(), lipid.getIdPart());
        assertThat(ids("DiagnosticReport?patient=" + subject))
                .containsExactlyInAnyOrder(glucose.getIdPart(), lipid.getIdPart());
        assertThat(ids("DiagnosticReport?patient=" + subject + "&code=" + LOINC + "|2345-7"))
                .containsExactly(glucose.getIdPart());
        assertThat(ids("DiagnosticReport?patient=" + subject + "&code=" + LOINC + "|0000-0"))
                .isEmpty();
        assertThat(ids("DiagnosticReport?patient=" + subject + "&date=ge2025-01-01"))
                .containsExactly(lipid.getIdPart());
        assertThat(ids("DiagnosticReport?patient=" + subject + "&date=lt2025-01-01"))
                .containsExactly(glucose.getIdPart());
        assertThat(ids("DiagnosticReport?patient=" + subject + "&date=2024-03")).containsExactly(glucose.getIdPart());

        DiagnosticReport r = client().read()
                .resource(DiagnosticReport.class)
                .withId(lipid.getIdPart())
                .execute();
        r.setStatus(DiagnosticReport.DiagnosticReportStatus.AMENDED);
        client().update().resource(r).execute();
        assertThat(client().read()
                        .resource(DiagnosticReport.class)
                        .withId(lipid.getIdPart())
                        .execute()
                        .getStatus())
                .isEqualTo(DiagnosticReport.DiagnosticReportStatus.AMENDED);
        client().delete().resourceById(lipid.toUnqualifiedVersionless()).execute();
        assertThat(ids("DiagnosticReport?subject=" + subject)).containsExactly(glucose.getIdPart());
    }

    @Test
    default void includeBringsTheSubject() {
        IdType patient = create(newPatient("Included"));
        IdType report = create(newReport(patient, "2345-7", "2024-03-01"));
        Bundle b = client().search()
                .byUrl("DiagnosticReport?_id=" + report.getIdPart() + "&_include=DiagnosticReport:subject")
                .returnBundle(Bundle.class)
                .execute();
        assertThat(b.getEntry())
                .extracting(e -> e.getResource().getResourceType() + "/"
                        + e.getResource().getIdElement().getIdPart() + ":"
                        + e.getSearch().getMode().toCode())
                .containsExactlyInAnyOrder(
                        "DiagnosticReport/" + report.getIdPart() + ":match",
                        "Patient/" + patient.getIdPart() + ":include");
    }

    @Test
    default void transactionResolvesReferencesBetweenEntries() {
        Patient p = newPatient("Transaction");
        String mrn = p.getIdentifierFirstRep().getValue();
        Observation obs = new Observation();
        obs.setStatus(Observation.ObservationStatus.FINAL);
        obs.getCode().addCoding().setSystem(LOINC).setCode("2345-7");
        obs.setSubject(new Reference("urn:uuid:p1"));
        DiagnosticReport report = newReport(new IdType("Patient", "placeholder"), "2345-7", "2024-05-05");
        report.setSubject(new Reference("urn:uuid:p1"));
        report.addResult(new Reference("urn:uuid:o1"));

        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        tx.addEntry()
                .setFullUrl("urn:uuid:p1")
                .setResource(p)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient");
        tx.addEntry()
                .setFullUrl("urn:uuid:o1")
                .setResource(obs)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Observation");
        tx.addEntry()
                .setFullUrl("urn:uuid:r1")
                .setResource(report)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("DiagnosticReport");

        Bundle resp = client().transaction().withBundle(tx).execute();
        assertThat(resp.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(resp.getEntry())
                .allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));
        IdType patientId = new IdType(resp.getEntry().get(0).getResponse().getLocation());
        IdType obsId = new IdType(resp.getEntry().get(1).getResponse().getLocation());
        IdType reportId = new IdType(resp.getEntry().get(2).getResponse().getLocation());

        DiagnosticReport stored = client().read()
                .resource(DiagnosticReport.class)
                .withId(reportId.getIdPart())
                .execute();
        assertThat(stored.getSubject().getReference()).isEqualTo("Patient/" + patientId.getIdPart());
        assertThat(stored.getResultFirstRep().getReference()).isEqualTo("Observation/" + obsId.getIdPart());
        assertThat(ids("Patient?identifier=" + MRN + "|" + mrn)).containsExactly(patientId.getIdPart());
    }

    @Test
    default void batchEntriesSucceedOrFailIndependently() {
        Patient p = newPatient("Batch");
        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        batch.addEntry()
                .setResource(p)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient");
        batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Patient/missing-" + UUID.randomUUID());
        Bundle resp = client().transaction().withBundle(batch).execute();
        assertThat(resp.getType()).isEqualTo(Bundle.BundleType.BATCHRESPONSE);
        assertThat(resp.getEntry().get(0).getResponse().getStatus()).startsWith("201");
        assertThat(resp.getEntry().get(1).getResponse().getStatus()).startsWith("404");
        assertThat(ids("Patient?identifier=" + MRN + "|"
                        + p.getIdentifierFirstRep().getValue()))
                .hasSize(1);
    }

    @Test
    default void conditionalCreateDoesNotDuplicate() {
        Patient p = newPatient("Conditional");
        String query = "identifier=" + MRN + "|" + p.getIdentifierFirstRep().getValue();
        MethodOutcome first = client().create()
                .resource(p)
                .conditionalByUrl("Patient?" + query)
                .execute();
        MethodOutcome second = client().create()
                .resource(p)
                .conditionalByUrl("Patient?" + query)
                .execute();
        assertThat(first.getCreated()).isTrue();
        assertThat(second.getCreated()).isNotEqualTo(Boolean.TRUE);
        assertThat(second.getId().getIdPart()).isEqualTo(first.getId().getIdPart());
        assertThat(ids("Patient?" + query)).hasSize(1);
    }

    @Test
    default void searchPagesThroughResults() {
        String family = "Page" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        for (int i = 0; i < 5; i++) {
            create(newPatient(family));
        }
        Bundle page1 = client().search()
                .byUrl("Patient?family=" + family + "&_count=2")
                .returnBundle(Bundle.class)
                .execute();
        assertThat(page1.getEntry()).hasSize(2);
        assertThat(page1.getLink(Bundle.LINK_NEXT)).isNotNull();
        Bundle page2 = client().loadPage().next(page1).execute();
        Bundle page3 = client().loadPage().next(page2).execute();
        assertThat(page2.getEntry()).hasSize(2);
        assertThat(page3.getEntry()).hasSize(1);
        Bundle count = client().search()
                .byUrl("Patient?family=" + family + "&_summary=count")
                .returnBundle(Bundle.class)
                .execute();
        assertThat(count.getTotal()).isEqualTo(5);
        assertThat(count.getEntry()).isEmpty();
    }

    default List<String> ids(String query) {
        Bundle b = client().search().byUrl(query).returnBundle(Bundle.class).execute();
        return b.getEntry().stream()
                .filter(e -> e.getResource().getResourceType()
                        == ResourceType.fromCode(query.substring(0, query.indexOf('?'))))
                .map(e -> e.getResource().getIdElement().getIdPart())
                .collect(Collectors.toList());
    }
}
