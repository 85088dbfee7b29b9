package org.fhirledger.server.proof;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.fhirledger.anchor.AccessAppended;
import org.fhirledger.anchor.ChainPosition;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.RecordAppended;
import org.fhirledger.ledger.Bytes32;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

/**
 * The leaf index ({@code fl_ledger_leaf}): for every leaf of the log, the ledger entry it was built from and where
 * that entry is on the private chain. {@code $verify} finds a resource version's leaf by (resource pseudonym,
 * version, custodian) and an AuditEvent's by its hash. The index is a convenience, not a trust anchor: every
 * answer rebuilds the leaf from the row and compares it with the log's leaf.
 */
public final class LeafIndex {

    /** One row: the leaf's index in the log and the entry. */
    public record Row(long leafIndex, LedgerEvent event) {}

    private static final String COLUMNS = "leaf_index, lane, seq, resource, patient, version, content_hash, cid, "
            + "custodian, actor, action_code, outcome, event_time, audit_hash, block_number, block_hash, log_index, tx_hash";

    private final JdbcTemplate jdbc;

    public LeafIndex(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void insert(List<Row> rows) {
        jdbc.batchUpdate("insert into fl_ledger_leaf (" + COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows, 500, (ps, row) -> {
                    LedgerEvent e = row.event();
                    ChainPosition at = e.position();
                    ps.setLong(1, row.leafIndex());
                    ps.setString(2, e.lane().code());
                    ps.setLong(3, e.seq());
                    if (e instanceof RecordAppended r) {
                        ps.setString(4, r.resource().toHex());
                        ps.setString(5, r.patient().toHex());
                        ps.setLong(6, r.version());
                        ps.setString(7, r.contentHash().toHex());
                        ps.setString(8, HexFormat.of().formatHex(r.cid()));
                        ps.setString(9, r.custodian());
                        ps.setNull(10, java.sql.Types.VARCHAR);
                        ps.setNull(11, java.sql.Types.INTEGER);
                        ps.setNull(12, java.sql.Types.INTEGER);
                        ps.setNull(13, java.sql.Types.BIGINT);
                        ps.setNull(14, java.sql.Types.VARCHAR);
                    } else {
                        AccessAppended a = (AccessAppended) e;
                        ps.setString(4, a.resource().toHex());
                        ps.setString(5, a.patient().toHex());
                        ps.setNull(6, java.sql.Types.BIGINT);
                        ps.setNull(7, java.sql.Types.VARCHAR);
                        ps.setNull(8, java.sql.Types.VARCHAR);
                        ps.setNull(9, java.sql.Types.VARCHAR);
                        ps.setString(10, a.actor());
                        ps.setInt(11, a.action());
                        ps.setInt(12, a.outcome());
                        ps.setLong(13, a.time());
                        ps.setString(14, a.auditHash().toHex());
                    }
                    ps.setLong(15, at.blockNumber());
                    ps.setString(16, at.blockHash());
                    ps.setLong(17, at.logIndex());
                    ps.setString(18, at.txHash());
                });
    }

    /** The record entry of (resource, version) written by {@code custodian}. */
    public Optional<Row> findRecord(Bytes32 resource, long version, String custodian) {
        return one(jdbc.query("select " + COLUMNS + " from fl_ledger_leaf where resource = ? and version = ? "
                + "and lane = 'record' and custodian = ?", MAPPER, resource.toHex(), version,
                custodian.toLowerCase(java.util.Locale.ROOT)));
    }

    /** The access entry with this AuditEvent hash. */
    public Optional<Row> findAccess(Bytes32 auditHash) {
        return one(jdbc.query("select " + COLUMNS + " from fl_ledger_leaf where audit_hash = ? and lane = 'access'",
                MAPPER, auditHash.toHex()));
    }

    public Optional<Row> bySeq(LedgerEvent.Lane lane, long seq) {
        return one(jdbc.query("select " + COLUMNS + " from fl_ledger_leaf where lane = ? and seq = ?", MAPPER,
                lane.code(), seq));
    }

    /** The next sequence number expected in a lane: one past the highest indexed, 0 when none. */
    public long nextSeq(LedgerEvent.Lane lane) {
        Long max = jdbc.queryForObject("select max(seq) from fl_ledger_leaf where lane = ?", Long.class, lane.code());
        return max == null ? 0 : max + 1;
    }

    private static Optional<Row> one(List<Row> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static final RowMapper<Row> MAPPER = LeafIndex::map;

    private static Row map(ResultSet rs, int n) throws SQLException {
        ChainPosition at = new ChainPosition(rs.getLong("block_number"), rs.getString("block_hash"),
                rs.getLong("log_index"), rs.getString("tx_hash"));
        LedgerEvent.Lane lane = LedgerEvent.Lane.ofCode(rs.getString("lane"));
        LedgerEvent e = lane == LedgerEvent.Lane.RECORD
                ? new RecordAppended(at, rs.getLong("seq"), Bytes32.fromHex(rs.getString("resource")),
                        rs.getLong("version"), Bytes32.fromHex(rs.getString("patient")),
                        Bytes32.fromHex(rs.getString("content_hash")), HexFormat.of().parseHex(rs.getString("cid")),
                        rs.getString("custodian"))
                : new AccessAppended(at, rs.getLong("seq"), Bytes32.fromHex(rs.getString("patient")),
                        Bytes32.fromHex(rs.getString("resource")), rs.getString("actor"), rs.getInt("action_code"),
                        rs.getInt("outcome"), rs.getLong("event_time"), Bytes32.fromHex(rs.getString("audit_hash")));
        return new Row(rs.getLong("leaf_index"), e);
    }
}
