package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentStore;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.version.StoredForm;
import org.fhirledger.testing.AnvilExtension;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write pipeline end to end on the embedded default (H2 file, local content store) against a real anvil: outbox
 * rows in the version's transaction, hashes equal to those of the served versions, entries on chain, ciphertext that
 * decrypts to exactly the served version.
 */
class WritePipelineTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    @TempDir
    static Path data;

    static PipelineServer server;
    static IGenericClient client;

    @BeforeAll
    static void start() {
        server = PipelineServer.start(data, anvil.rpcUrl(), anvil.chainId());
        client = server.client();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static Patient patient(String family) {
        Patient p = new Patient();
        p.addName().setFamily(family).addGiven("Peter");
        p.setGender(org.hl7.fhir.r4.model.Enumerations.AdministrativeGender.MALE);
        p.getMeta().addTag("urn:example:tags", "b", null);
        p.getMeta().addTag("urn:example:tags", "a", null);
        return p;
    }

    private static Map<String, Object> row(String type, String id, long version) {
        return server.jdbc()
                .queryForMap(
                        "select * from fl_outbox where res_type = ? and res_id = ? and res_version = ?",
                        type,
                        id,
                        version);
    }

    private static Bytes32 servedHash(String type, String id, long version) {
        String json = server.get("/" + type + "/" + id + "/_history/" + version).body();
        return CanonicalResource.contentHash(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyVersionHasAnOutboxRowWithTheHashOfTheServedVersionAndItsPatient() {
        Pseudonyms pseudonyms = server.ctx.getBean(Pseudonyms.class);
        IdType pid =
                (IdType) client.create().resource(patient("Chalmers")).execute().getId();
        Patient p2 = client.read()
                .resource(Patient.class)
                .withId(pid.toVersionless())
                .execute();
        p2.getNameFirstRep().setFamily("Chalmers-Smith");
        IdType pid2 = (IdType) client.update().resource(p2).execute().getId();
        DiagnosticReport dr = new DiagnosticReport();
        dr.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
        dr.getCode().addCoding().setSystem("http://loinc.org").setCode("2345-7");
        dr.setSubject(new Reference(pid.toUnqualifiedVersionless()));
        dr.setConclusion("Within normal limits");
        IdType did = (IdType) client.create().resource(dr).execute().getId();
        Organization org = new Organization().setName("General Hospital");
        IdType oid = (IdType) client.create().resource(org).execute().getId();
        client.delete().resourceById(did.toUnqualifiedVersionless()).execute();

        String p = pid.getIdPart();
        Bytes32 patientPn = pseudonyms.of("Patient/" + p);
        for (long v : List.of(1L, 2L)) {
            Map<String, Object> r = row("Patient", p, v);
            assertThat(r.get("content_hash"))
                    .as("write-time hash of Patient v" + v)
                    .isEqualTo(servedHash("Patient", p, v).toHex());
            assertThat(r.get("patient_pn")).isEqualTo(patientPn.toHex());
            assertThat(r.get("resource_pn"))
                    .isEqualTo(pseudonyms.of("Patient/" + p).toHex());
            assertThat(r.get("kind")).isEqualTo("RECORD");
        }
        assertThat(pid2.getVersionIdPartAsLong()).isEqualTo(2);
        Map<String, Object> d1 = row("DiagnosticReport", did.getIdPart(), 1);
        assertThat(d1.get("content_hash"))
                .isEqualTo(servedHash("DiagnosticReport", did.getIdPart(), 1).toHex());
        assertThat(d1.get("patient_pn")).isEqualTo(patientPn.toHex());
        Map<String, Object> d2 = row("DiagnosticReport", did.getIdPart(), 2);
        assertThat(d2.get("content_hash"))
                .as("delete version: hash of the tombstone")
                .isEqualTo(CanonicalResource.contentHash(StoredForm.tombstone("DiagnosticReport", did.getIdPart()))
                        .toHex());
        assertThat(d2.get("patient_pn")).isEqualTo(patientPn.toHex());
        Map<String, Object> o1 = row("Organization", oid.getIdPart(), 1);
        assertThat(o1.get("patient_pn")).isEqualTo(Bytes32.ZERO.toHex());
        assertThat(o1.get("content_hash"))
                .isEqualTo(servedHash("Organization", oid.getIdPart(), 1).toHex());
        Long versions = server.jdbc().queryForObject("select count(*) from HFJ_RES_VER", Long.class);
        Long rows = server.jdbc().queryForObject("select count(*) from fl_outbox", Long.class);
        assertThat(rows).as("one outbox row per stored version").isEqualTo(versions);

        // the writer puts each on chain: content hash, CID and patient as in the row
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        EnvelopeCipher cipher = server.ctx.getBean(EnvelopeCipher.class);
        ContentStore content = server.ctx.getBean(ContentStore.class);
        for (Map<String, Object> r : server.jdbc().queryForList("select * from fl_outbox where kind = 'RECORD'")) {
            assertThat(r.get("state")).isEqualTo("CONFIRMED");
            assertThat((byte[]) r.get("envelope"))
                    .as("kept once on chain, for the content scrub")
                    .isNotEmpty();
            assertThat((String) r.get("tx_hash")).startsWith("0x");
            Bytes32 resource = Bytes32.fromHex((String) r.get("resource_pn"));
            long version = ((Number) r.get("res_version")).longValue();
            RecordInfo info = server.ledger().findRecord(resource, version).orElseThrow();
            assertThat(info.entry().contentHash().toHex()).isEqualTo(r.get("content_hash"));
            assertThat(info.entry().patient().toHex()).isEqualTo(r.get("patient_pn"));
            Cid cid = Cid.fromBytes(info.entry().cid());
            assertThat(cid.toString()).isEqualTo(r.get("cid"));
            assertThat(info.receipt().txHash()).isEqualTo(r.get("tx_hash"));
            // the stored ciphertext decrypts (patient key, bound to the version) to exactly what was hashed
            byte[] plain = cipher.decrypt(
                    VersionRecorder.keyIdOf(info.entry().patient()),
                    new ResourceVersion((String) r.get("res_type"), (String) r.get("res_id"), Long.toString(version)),
                    content.get(cid));
            assertThat(CanonicalResource.contentHash(plain).toHex()).isEqualTo(r.get("content_hash"));
            assertThat(new String(content.get(cid), StandardCharsets.ISO_8859_1))
                    .doesNotContain("Chalmers");
        }
        // the served version is verified against the chain: no ledger-status tag
        Patient served = client.read()
                .resource(Patient.class)
                .withId(pid2.toUnqualifiedVersionless())
                .execute();
        assertThat(served.getMeta().getTag()).noneMatch(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()));
    }

    @Test
    void aRolledBackTransactionBundleLeavesNoOutboxRow() {
        Long before = server.jdbc()
                .queryForObject("select count(*) from fl_outbox where res_type <> 'AuditEvent'", Long.class);
        // (the refused request's own AuditEvent is stored: it is not part of the transaction)
        Long versionsBefore = server.jdbc()
                .queryForObject("select count(*) from HFJ_RES_VER where RES_TYPE <> 'AuditEvent'", Long.class);
        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        tx.addEntry()
                .setFullUrl("urn:uuid:6d3c1e8e-0000-4000-8000-000000000001")
                .setResource(patient("Rollback"))
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient");
        Observation obs = new Observation().setStatus(Observation.ObservationStatus.FINAL);
        obs.getCode().setText("x");
        obs.setSubject(new Reference("Patient/does-not-exist"));
        tx.addEntry()
                .setResource(obs)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Observation");
        assertThatThrownBy(() -> client.transaction().withBundle(tx).execute())
                .isInstanceOf(BaseServerResponseException.class);
        assertThat(server.jdbc()
                        .queryForObject("select count(*) from HFJ_RES_VER where RES_TYPE <> 'AuditEvent'", Long.class))
                .isEqualTo(versionsBefore);
        assertThat(server.jdbc()
                        .queryForObject("select count(*) from fl_outbox where res_type <> 'AuditEvent'", Long.class))
                .isEqualTo(before);

        // and a committed one has a row per entry
        Bundle ok = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        ok.addEntry()
                .setFullUrl("urn:uuid:6d3c1e8e-0000-4000-8000-000000000002")
                .setResource(patient("Committed"))
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient");
        Observation o2 = new Observation().setStatus(Observation.ObservationStatus.FINAL);
        o2.getCode().setText("y");
        o2.setSubject(new Reference("urn:uuid:6d3c1e8e-0000-4000-8000-000000000002"));
        ok.addEntry()
                .setResource(o2)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Observation");
        Bundle resp = client.transaction().withBundle(ok).execute();
        String obsId = new IdType(resp.getEntry().get(1).getResponse().getLocation()).getIdPart();
        String patId = new IdType(resp.getEntry().get(0).getResponse().getLocation()).getIdPart();
        assertThat(server.jdbc()
                        .queryForObject("select count(*) from fl_outbox where res_type <> 'AuditEvent'", Long.class))
                .isEqualTo(before + 2);
        assertThat(row("Observation", obsId, 1).get("patient_pn"))
                .isEqualTo(server.ctx
                        .getBean(Pseudonyms.class)
                        .of("Patient/" + patId)
                        .toHex());
        assertThat(row("Observation", obsId, 1).get("content_hash"))
                .isEqualTo(servedHash("Observation", obsId, 1).toHex());
    }

    @Test
    void anAuditEventGoesToTheAccessLedgerNotTheContentStore() {
        AuditEvent ae = new AuditEvent();
        ae.setType(new Coding(AuditShape.TYPE_SYSTEM, "rest", null));
        ae.setAction(AuditEvent.AuditEventAction.R);
        ae.setRecorded(new Date(1_700_000_000_000L));
        ae.setOutcome(AuditEvent.AuditEventOutcome._0);
        ae.addAgent().setRequestor(true).getWho().setDisplay("someone");
        ae.getSource().setObserver(new Reference().setDisplay("test"));
        IdType id = (IdType) client.create().resource(ae).execute().getId();
        Map<String, Object> r = row("AuditEvent", id.getIdPart(), 1);
        assertThat(r.get("kind")).isEqualTo("ACCESS");
        assertThat(r.get("envelope")).isNull();
        assertThat(r.get("actor")).isEqualTo(server.ledger().account().toLowerCase());
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        Bytes32 hash = servedHash("AuditEvent", id.getIdPart(), 1);
        assertThat(server.ledger().accessSeqOf(hash)).isPresent();
        assertThat(row("AuditEvent", id.getIdPart(), 1).get("cid")).isNull();
        assertThat(AccessEntry.Outcome.values()[((Number) r.get("outcome_code")).intValue()])
                .isEqualTo(AccessEntry.Outcome.ALLOWED);
    }

    @Test
    void tagsCannotBeChangedInPlace() {
        IdType pid =
                (IdType) client.create().resource(patient("Tagged")).execute().getId();
        assertThatThrownBy(() -> client.meta()
                        .add()
                        .onResource(pid)
                        .meta(new Meta().addTag("urn:example:tags", "c", null))
                        .execute())
                .isInstanceOf(BaseServerResponseException.class)
                .satisfies(e -> assertThat(((BaseServerResponseException) e).getStatusCode())
                        .isEqualTo(405));
        // an update that changes nothing (a ledger-status tag echoed back is dropped) makes no version and is allowed
        Patient same = client.read()
                .resource(Patient.class)
                .withId(pid.toUnqualifiedVersionless())
                .execute();
        same.getMeta().addTag(CanonicalResource.LEDGER_TAG_SYSTEM, "pending", null); // a client echoing a served tag
        IdType after = (IdType) client.update().resource(same).execute().getId();
        assertThat(after.getVersionIdPart()).isEqualTo("1");
        assertThat(server.get("/Patient/" + pid.getIdPart()).body()).doesNotContain("\"c\"");

        // tags belong to their version: new tags on an update leave version 1 as it was recorded; HAPI carries the old
        // tags into the new version, and the hash taken at write includes them
        Patient untagged = patient("Tagged");
        untagged.setMeta(new Meta()
                .addTag("urn:example:tags", "z", null)
                .addTag("urn:example:tags", "y", null)
                .addSecurity("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", null)
                .addProfile("http://example.org/StructureDefinition/b")
                .addProfile("http://example.org/StructureDefinition/a"));
        untagged.setId(pid.toUnqualifiedVersionless());
        client.update().resource(untagged).execute();
        for (long v : List.of(1L, 2L)) {
            assertThat(row("Patient", pid.getIdPart(), v).get("content_hash"))
                    .isEqualTo(servedHash("Patient", pid.getIdPart(), v).toHex());
        }
        assertThat(server.get("/Patient/" + pid.getIdPart() + "/_history/1").body())
                .doesNotContain("\"z\"");
    }
}
