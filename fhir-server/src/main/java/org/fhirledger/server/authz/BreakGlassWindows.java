package org.fhirledger.server.authz;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Open break-glass windows: a clinician may access one patient's compartment without consent until the window
 * closes. Kept in the database (so every replica sees them), keyed by the clinician's address and the patient's
 * pseudonym; the reason lives in the break-glass AuditEvent, not here.
 */
public final class BreakGlassWindows {

    private final JdbcTemplate jdbc;
    private final Pseudonyms pseudonyms;
    private final Clock clock;
    private final Duration duration;

    public BreakGlassWindows(JdbcTemplate jdbc, Pseudonyms pseudonyms, Clock clock, Duration duration) {
        this.jdbc = jdbc;
        this.pseudonyms = pseudonyms;
        this.clock = clock;
        this.duration = duration;
        jdbc.execute("create table if not exists fl_break_glass (grantee varchar(42) not null, "
                + "patient varchar(66) not null, expires_at bigint not null, primary key (grantee, patient))");
    }

    /** Opens (or extends) the window; returns when it closes. */
    public Instant open(String grantee, String patientId) {
        Instant until = clock.instant().plus(duration);
        String g = grantee.toLowerCase(Locale.ROOT);
        String p = pseudonyms.hex("Patient/" + patientId);
        if (jdbc.update(
                        "update fl_break_glass set expires_at = ? where grantee = ? and patient = ?",
                        until.toEpochMilli(),
                        g,
                        p)
                == 0) {
            try {
                jdbc.update(
                        "insert into fl_break_glass (grantee, patient, expires_at) values (?, ?, ?)",
                        g,
                        p,
                        until.toEpochMilli());
            } catch (DuplicateKeyException raced) {
                jdbc.update(
                        "update fl_break_glass set expires_at = ? where grantee = ? and patient = ?",
                        until.toEpochMilli(),
                        g,
                        p);
            }
        }
        return until;
    }

    public boolean isOpen(String grantee, String patientId) {
        Long until = jdbc.query(
                "select expires_at from fl_break_glass where grantee = ? and patient = ?",
                rs -> rs.next() ? rs.getLong(1) : null,
                grantee.toLowerCase(Locale.ROOT),
                pseudonyms.hex("Patient/" + patientId));
        return until != null && until > clock.millis();
    }

    public Duration duration() {
        return duration;
    }
}
