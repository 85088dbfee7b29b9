package org.fhirledger.server.authz;

import java.util.List;
import java.util.Locale;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Which patients each clinician (by ledger address) may have been given access to: the patients of the consents
 * the server granted them and of the break-glass windows they opened. It only says where to look, so "my patients"
 * and a clinician's Patient searches are answered without scanning every patient: each patient listed is still
 * checked against the chain (through the consent cache) before it is shown, and a patient the chain no longer
 * allows is dropped from the list when that check says so (a revocation shows within authorization.cache-ttl, or at
 * once when the revocation's event arrives). Kept in the database, so every replica shares it.
 */
final class ConsentedPatients {

    static final String TABLE = "fl_consented_patient";

    private static final String FILLED = "fl_consented_patient_filled";

    private final JdbcTemplate jdbc;

    ConsentedPatients(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("create table if not exists " + TABLE + " (grantee varchar(42) not null, "
                + "patient_id varchar(64) not null, primary key (grantee, patient_id))");
        jdbc.execute("create table if not exists " + FILLED + " (filled_at bigint not null)");
    }

    /** Whether the consents granted before the list existed have been listed ({@link ConsentedPatientsBackfill}). */
    boolean filled() {
        Integer n = jdbc.queryForObject("select count(*) from " + FILLED, Integer.class);
        return n != null && n > 0;
    }

    void markFilled(long at) {
        if (!filled()) jdbc.update("insert into " + FILLED + " (filled_at) values (?)", at);
    }

    void add(String grantee, String patientId) {
        String g = normal(grantee);
        if (holds(g, patientId)) return;
        try {
            jdbc.update("insert into " + TABLE + " (grantee, patient_id) values (?, ?)", g, patientId);
        } catch (DuplicateKeyException raced) {
            // added meanwhile
        }
    }

    void remove(String grantee, String patientId) {
        jdbc.update("delete from " + TABLE + " where grantee = ? and patient_id = ?", normal(grantee), patientId);
    }

    /** The patients listed for this grantee, in id order. */
    List<String> of(String grantee) {
        return jdbc.queryForList(
                "select patient_id from " + TABLE + " where grantee = ? order by patient_id",
                String.class,
                normal(grantee));
    }

    private boolean holds(String grantee, String patientId) {
        Integer n = jdbc.queryForObject(
                "select count(*) from " + TABLE + " where grantee = ? and patient_id = ?",
                Integer.class,
                grantee,
                patientId);
        return n != null && n > 0;
    }

    private static String normal(String address) {
        return address.toLowerCase(Locale.ROOT);
    }
}
