package org.fhirledger.server.outbox;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The patient a record entry carries on chain ({@code RecordAppended.patient}, the topic the record locator reads):
 * the consortium pseudonym of the compartment's Patient when that Patient has the shared identifier at write time,
 * its local pseudonym otherwise. A Patient version takes it from its own identifiers; any other version from the
 * Patient's current version, remembered per patient in {@code fl_consortium_patient} (written with every Patient
 * version, in its transaction, so every replica agrees) and read through the loader only when the table does not
 * know the patient yet (a Patient written before this table existed). The table holds pseudonyms only.
 */
public final class LedgerPatients {

    static final String TABLE = "fl_consortium_patient";

    private final JdbcTemplate jdbc;
    private final ConsortiumPseudonyms consortium;
    private final Function<String, Optional<IBaseResource>> currentPatient;

    /** @param currentPatient reads Patient/{id}'s current version as the server; empty if missing or deleted */
    public LedgerPatients(
            JdbcTemplate jdbc,
            ConsortiumPseudonyms consortium,
            Function<String, Optional<IBaseResource>> currentPatient) {
        this.jdbc = jdbc;
        this.consortium = consortium;
        this.currentPatient = currentPatient;
    }

    /** Idempotent DDL (H2 and PostgreSQL); a null consortium pseudonym: the patient has no shared identifier. */
    public void createSchema() {
        jdbc.execute("create table if not exists " + TABLE + " ("
                + " patient_pn varchar(66) primary key,"
                + " consortium_pn varchar(66))");
    }

    /**
     * What the entry of a version in the compartment of {@code Patient/patientId} (local pseudonym {@code local})
     * carries on chain. {@code version} is that version's content: for a Patient, the patient itself.
     */
    public Bytes32 of(IBaseResource version, String patientId, Bytes32 local) {
        if (local.isZero()) return local;
        if (version instanceof Patient p && patientId.equals(p.getIdElement().getIdPart())) {
            Optional<Bytes32> shared = consortium.ofPatient(p);
            remember(local, shared);
            return shared.orElse(local);
        }
        List<String> known = jdbc.query(
                "select consortium_pn from " + TABLE + " where patient_pn = ?",
                (rs, n) -> rs.getString(1),
                local.toHex());
        if (!known.isEmpty()) return known.get(0) == null ? local : Bytes32.fromHex(known.get(0));
        return currentPatient
                .apply(patientId)
                .filter(Patient.class::isInstance)
                .flatMap(p -> consortium.ofPatient((Patient) p))
                .orElse(local);
    }

    /** An erased patient: the server no longer links its local pseudonym to a consortium pseudonym. */
    public void forget(Bytes32 local) {
        jdbc.update("delete from " + TABLE + " where patient_pn = ?", local.toHex());
    }

    // a Patient's versions are serialised by HAPI (one version number each), so update-then-insert does not race
    private void remember(Bytes32 local, Optional<Bytes32> shared) {
        String value = shared.map(Bytes32::toHex).orElse(null);
        if (jdbc.update("update " + TABLE + " set consortium_pn = ? where patient_pn = ?", value, local.toHex()) == 0) {
            jdbc.update("insert into " + TABLE + " (patient_pn, consortium_pn) values (?, ?)", local.toHex(), value);
        }
    }
}
