package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.testing.PostgresInitializer;
import org.h2.jdbcx.JdbcDataSource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The outbox's second patient field and the per-patient consortium pseudonym, on both databases the server runs
 * on: an outbox table of an existing data directory gains the column at start-up and its rows keep carrying the
 * local pseudonym; a row written with a consortium pseudonym reads back with it (as the writer reads it after a
 * restart); a version takes the pseudonym of its Patient's identifier as it is when the version is written.
 */
class LedgerPatientsTest {

    private static final AtomicInteger DB = new AtomicInteger();
    private static final String NATIONAL = "urn:oid:2.16.840.1.113883.4.1";

    private final ConsortiumPseudonyms consortium =
            new ConsortiumPseudonyms(Pseudonymizer.fromSecret(new byte[32]), 1, NATIONAL);

    static DataSource database(String kind) {
        String name = "ledger_patients_" + DB.incrementAndGet();
        if ("h2".equals(kind)) {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
            return h2;
        }
        var pg = PostgresInitializer.postgres();
        new JdbcTemplate(pg.getPostgresDatabase()).execute("create database " + name);
        return pg.getDatabase("postgres", name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void anExistingOutboxGainsTheColumnAndARowCarriesWhatItWasWrittenWith(String kind) {
        DataSource ds = database(kind);
        OutboxStore store = new OutboxStore(ds);
        store.createSchema();
        // an outbox of a data directory from before the column, with a row in it
        store.jdbc().execute("alter table fl_outbox drop column ledger_patient_pn");
        Bytes32 local = b32(1);
        store.jdbc()
                .update(
                        "insert into fl_outbox (kind, res_type, res_id, res_version, resource_pn, patient_pn,"
                                + " content_hash, state, attempts, created_at) values ('RECORD', 'Observation', 'old',"
                                + " 1, ?, ?, ?, 'PENDING', 0, 0)",
                        b32(9).toHex(),
                        local.toHex(),
                        b32(7).toHex());

        store.createSchema(); // the next start
        store.createSchema(); // and the one after: idempotent
        assertThat(store.row("Observation", "old", 1).orElseThrow().ledgerPatient())
                .as("a row from before carries the local pseudonym")
                .isEqualTo(local);

        Bytes32 shared = consortium.of(NATIONAL, "123-45-6789");
        store.insert(
                OutboxRow.Kind.RECORD, "Observation", "new", 1, b32(8), local, shared, b32(6), new byte[] {1}, null);
        OutboxRow row = store.row("Observation", "new", 1).orElseThrow();
        assertThat(row.patient()).isEqualTo(local);
        assertThat(row.ledgerPatient()).isEqualTo(shared);
        // what the writer hands to the ledger, also when it reads the row again after a crash
        assertThat(store.nextBatch(10, 0, Set.of()))
                .extracting(OutboxRow::resourceId, OutboxRow::ledgerPatient)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("old", local),
                        org.assertj.core.groups.Tuple.tuple("new", shared));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aVersionCarriesThePseudonymOfItsPatientsIdentifierWhenItIsWritten(String kind) {
        JdbcTemplate jdbc = new JdbcTemplate(database(kind));
        List<String> read = new ArrayList<>();
        Patient stored = patient("p1", "111-11-1111");
        LedgerPatients patients = new LedgerPatients(jdbc, consortium, id -> {
            read.add(id);
            return Optional.<IBaseResource>of(stored);
        });
        patients.createSchema();
        patients.createSchema();
        Bytes32 local = b32(4);
        Observation obs = new Observation();

        // a patient the table does not know yet (written before it existed): its current version is read
        assertThat(patients.of(obs, "p1", local)).isEqualTo(consortium.of(NATIONAL, "111-11-1111"));
        assertThat(read).containsExactly("p1");

        // a Patient version: its own identifier, remembered for the versions of its records
        assertThat(patients.of(patient("p1", "222-22-2222"), "p1", local))
                .isEqualTo(consortium.of(NATIONAL, "222-22-2222"));
        assertThat(patients.of(obs, "p1", local)).isEqualTo(consortium.of(NATIONAL, "222-22-2222"));

        // the shared identifier removed: the local pseudonym from then on, without reading the Patient
        Patient without = new Patient();
        without.setId("p1");
        without.addIdentifier().setSystem("urn:example:mrn").setValue("222-22-2222");
        assertThat(patients.of(without, "p1", local)).isEqualTo(local);
        assertThat(patients.of(obs, "p1", local)).isEqualTo(local);
        assertThat(read).containsExactly("p1");

        // outside any compartment: zero stays zero
        assertThat(patients.of(obs, "p1", Bytes32.ZERO)).isEqualTo(Bytes32.ZERO);

        // erased: the server no longer links it (a later lookup would read the Patient, which is gone)
        patients.forget(local);
        assertThat(jdbc.queryForObject("select count(*) from fl_consortium_patient", Integer.class))
                .isZero();
    }

    private static Bytes32 b32(int last) {
        byte[] b = new byte[32];
        b[31] = (byte) last;
        return Bytes32.of(b);
    }

    private static Patient patient(String id, String nationalId) {
        Patient p = new Patient();
        p.setId(id);
        p.addIdentifier().setSystem(NATIONAL).setValue(nationalId);
        return p;
    }
}
