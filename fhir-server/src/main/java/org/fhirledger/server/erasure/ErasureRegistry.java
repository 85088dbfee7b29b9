package org.fhirledger.server.erasure;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.fhirledger.bytes.Bytes32;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What was erased, holding no PHI: {@code fl_erasure}, one row per erased patient (its server id, pseudonym, the
 * time, the hash of the reason, the step reached and the version of its erasure ledger entry), and
 * {@code fl_erased}, the pseudonyms of every erased resource, so a read of one answers 410 without keeping its id.
 * The patient row is written first (the intent): a rerun or a restart completes an erasure from it.
 */
public final class ErasureRegistry {

    /** Steps of an erasure, in order; a row is only ever moved forward. */
    public enum State {
        STARTED,
        RECORDED,
        DONE
    }

    public record Erasure(
            String patientId, Bytes32 patient, Instant erasedAt, String reasonHash, State state, Long entryVersion) {}

    private final JdbcTemplate jdbc;

    public ErasureRegistry(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    public void createSchema() {
        jdbc.execute("create table if not exists fl_erasure ("
                + " patient_pn varchar(66) primary key,"
                + " patient_id varchar(64) not null,"
                + " erased_at bigint not null,"
                + " reason_hash varchar(66) not null,"
                + " state varchar(10) not null,"
                + " entry_version bigint)");
        jdbc.execute("create table if not exists fl_erased ("
                + " resource_pn varchar(66) primary key,"
                + " patient_pn varchar(66) not null)");
    }

    public JdbcTemplate jdbc() {
        return jdbc;
    }

    /** Records the intent; false when an erasure of this patient is already recorded (finished or not). */
    public boolean begin(String patientId, Bytes32 patient, Instant at, Bytes32 reasonHash) {
        if (find(patient).isPresent()) return false;
        jdbc.update(
                "insert into fl_erasure (patient_pn, patient_id, erased_at, reason_hash, state) values (?, ?, ?, ?, ?)",
                patient.toHex(),
                patientId,
                at.toEpochMilli(),
                reasonHash.toHex(),
                State.STARTED.name());
        return true;
    }

    /** Every pseudonym is marked erased before anything is deleted: from then on reads of them answer 410. */
    public void markErased(Bytes32 patient, Collection<Bytes32> resources) {
        for (Bytes32 r : resources) {
            Integer n = jdbc.queryForObject(
                    "select count(*) from fl_erased where resource_pn = ?", Integer.class, r.toHex());
            if (n == null || n == 0) {
                jdbc.update(
                        "insert into fl_erased (resource_pn, patient_pn) values (?, ?)", r.toHex(), patient.toHex());
            }
        }
    }

    /** Forgets an erasure that changed nothing (its deletes were refused): the patient is served again. */
    public void abandon(Bytes32 patient) {
        jdbc.update("delete from fl_erased where patient_pn = ?", patient.toHex());
        jdbc.update("delete from fl_erasure where patient_pn = ? and state = ?", patient.toHex(), State.STARTED.name());
    }

    public void recorded(Bytes32 patient, long entryVersion) {
        jdbc.update(
                "update fl_erasure set state = ?, entry_version = ? where patient_pn = ? and state = ?",
                State.RECORDED.name(),
                entryVersion,
                patient.toHex(),
                State.STARTED.name());
    }

    public void done(Bytes32 patient) {
        jdbc.update("update fl_erasure set state = ? where patient_pn = ?", State.DONE.name(), patient.toHex());
    }

    public Optional<Erasure> find(Bytes32 patient) {
        List<Erasure> rows = jdbc.query(
                "select patient_id, patient_pn, erased_at, reason_hash, state, entry_version"
                        + " from fl_erasure where patient_pn = ?",
                (rs, i) -> new Erasure(
                        rs.getString(1),
                        Bytes32.fromHex(rs.getString(2)),
                        Instant.ofEpochMilli(rs.getLong(3)),
                        rs.getString(4),
                        State.valueOf(rs.getString(5)),
                        (Long) rs.getObject(6) == null ? null : rs.getLong(6)),
                patient.toHex());
        return rows.stream().findFirst();
    }

    /** The erasure a resource pseudonym belongs to, if it was erased (or is being erased). */
    public Optional<Erasure> erasureOf(Bytes32 resource) {
        List<String> patients = jdbc.queryForList(
                "select patient_pn from fl_erased where resource_pn = ?", String.class, resource.toHex());
        return patients.isEmpty() ? Optional.empty() : find(Bytes32.fromHex(patients.get(0)));
    }

    public List<Erasure> unfinished() {
        return jdbc
                .queryForList("select patient_pn from fl_erasure where state <> ?", String.class, State.DONE.name())
                .stream()
                .map(pn -> find(Bytes32.fromHex(pn)).orElseThrow())
                .toList();
    }
}
