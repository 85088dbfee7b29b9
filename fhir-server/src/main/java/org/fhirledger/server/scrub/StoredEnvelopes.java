package org.fhirledger.server.scrub;

import java.util.List;
import javax.sql.DataSource;
import org.fhirledger.server.outbox.OutboxStore;
import org.springframework.jdbc.core.JdbcTemplate;

/** The confirmed record rows of the outbox, in id order: what the content store must hold, and the kept envelopes. */
class StoredEnvelopes {

    /** One object to check: the outbox row and the CID recorded on chain for it. */
    record Row(long id, String cid) {}

    private final JdbcTemplate jdbc;

    StoredEnvelopes(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    /** Up to {@code limit} rows after {@code afterId}, without their envelopes (read only for a repair). */
    List<Row> after(long afterId, int limit) {
        return jdbc.query(
                "select id, cid from " + OutboxStore.TABLE + " where kind = 'RECORD' and state = 'CONFIRMED'"
                        + " and cid is not null and id > ? order by id limit ?",
                (rs, n) -> new Row(rs.getLong(1), rs.getString(2)),
                afterId,
                limit);
    }

    /** The kept envelope of a row; null for rows confirmed before envelopes were kept. */
    byte[] envelope(long id) {
        List<byte[]> rows = jdbc.query(
                "select envelope from " + OutboxStore.TABLE + " where id = ?", (rs, n) -> rs.getBytes(1), id);
        return rows.isEmpty() ? null : rows.get(0);
    }
}
