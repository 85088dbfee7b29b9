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
import org.fhirledger.bytes.Bytes32;
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

    /** A point where the log continues with a rewritten chain's history. */
    public record Break(
            int epoch,
            long firstLeaf,
            long resumeBlock,
            Long lostBlock,
            String lostBlockHash,
            long recordNextSeq,
            long accessNextSeq,
            long atTime,
            String reason) {}

    /** The current epoch: 0 until the first chain break. */
    public int epoch() {
        Integer e = jdbc.queryForObject("select max(epoch) from fl_chain_break", Integer.class);
        return e == null ? 0 : e;
    }

    public List<Break> breaks() {
        return jdbc.query(
                "select epoch, first_leaf, resume_block, lost_block, lost_block_hash, record_next_seq,"
                        + " access_next_seq, at_time, reason from fl_chain_break order by epoch",
                (rs, n) -> new Break(
                        rs.getInt(1),
                        rs.getLong(2),
                        rs.getLong(3),
                        (Long) rs.getObject(4, Long.class),
                        rs.getString(5),
                        rs.getLong(6),
                        rs.getLong(7),
                        rs.getLong(8),
                        rs.getString(9)));
    }

    void insertBreak(Break b) {
        jdbc.update(
                "insert into fl_chain_break (epoch, first_leaf, resume_block, lost_block, lost_block_hash,"
                        + " record_next_seq, access_next_seq, at_time, reason) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                b.epoch(),
                b.firstLeaf(),
                b.resumeBlock(),
                b.lostBlock(),
                b.lostBlockHash(),
                b.recordNextSeq(),
                b.accessNextSeq(),
                b.atTime(),
                b.reason());
    }

    /** The row of one leaf. */
    public Optional<Row> byLeaf(long leafIndex) {
        return one(jdbc.query("select " + COLUMNS + " from fl_ledger_leaf where leaf_index = ?", MAPPER, leafIndex));
    }

    /** The highest sequence number of a lane among leaves up to {@code leafIndex} of an epoch, if any. */
    Optional<Long> maxSeq(LedgerEvent.Lane lane, int epoch, long upToLeaf) {
        return Optional.ofNullable(jdbc.queryForObject(
                "select max(seq) from fl_ledger_leaf where lane = ? and epoch = ?" + " and leaf_index <= ?",
                Long.class,
                lane.code(),
                epoch,
                upToLeaf));
    }

    void insert(List<Row> rows) {
        int epoch = epoch();
        jdbc.batchUpdate(
                "insert into fl_ledger_leaf (" + COLUMNS
                        + ", epoch) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
                500,
                (ps, row) -> {
                    ps.setInt(19, epoch);
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

    /** The record entry of (resource, version) written by {@code custodian}; after a chain break, the newest. */
    public Optional<Row> findRecord(Bytes32 resource, long version, String custodian) {
        return one(jdbc.query(
                "select " + COLUMNS + " from fl_ledger_leaf where resource = ? and version = ? "
                        + "and lane = 'record' and custodian = ? order by leaf_index desc",
                MAPPER,
                resource.toHex(),
                version,
                custodian.toLowerCase(java.util.Locale.ROOT)));
    }

    /** The access entry with this AuditEvent hash; after a chain break, the newest. */
    public Optional<Row> findAccess(Bytes32 auditHash) {
        return one(jdbc.query(
                "select " + COLUMNS + " from fl_ledger_leaf where audit_hash = ? and lane = 'access'"
                        + " order by leaf_index desc",
                MAPPER,
                auditHash.toHex()));
    }

    /** The leaf of a lane's sequence number on the current chain (the current epoch). */
    public Optional<Row> bySeq(LedgerEvent.Lane lane, long seq) {
        return one(jdbc.query(
                "select " + COLUMNS + " from fl_ledger_leaf where lane = ? and seq = ? and epoch = ?",
                MAPPER,
                lane.code(),
                seq,
                epoch()));
    }

    /**
     * The next sequence number expected in a lane of the current chain: one past the highest indexed in the current
     * epoch; with none, 0 (epoch 0) or where the chain break resumed.
     */
    public long nextSeq(LedgerEvent.Lane lane) {
        int epoch = epoch();
        Long max = jdbc.queryForObject(
                "select max(seq) from fl_ledger_leaf where lane = ? and epoch = ?", Long.class, lane.code(), epoch);
        if (max != null) return max + 1;
        if (epoch == 0) return 0;
        Break b = breaks().get(breaks().size() - 1);
        return lane == LedgerEvent.Lane.RECORD ? b.recordNextSeq() : b.accessNextSeq();
    }

    private static Optional<Row> one(List<Row> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static final RowMapper<Row> MAPPER = LeafIndex::map;

    private static Row map(ResultSet rs, int n) throws SQLException {
        ChainPosition at = new ChainPosition(
                rs.getLong("block_number"),
                rs.getString("block_hash"),
                rs.getLong("log_index"),
                rs.getString("tx_hash"));
        LedgerEvent.Lane lane = LedgerEvent.Lane.ofCode(rs.getString("lane"));
        LedgerEvent e = lane == LedgerEvent.Lane.RECORD
                ? new RecordAppended(
                        at,
                        rs.getLong("seq"),
                        Bytes32.fromHex(rs.getString("resource")),
                        rs.getLong("version"),
                        Bytes32.fromHex(rs.getString("patient")),
                        Bytes32.fromHex(rs.getString("content_hash")),
                        HexFormat.of().parseHex(rs.getString("cid")),
                        rs.getString("custodian"))
                : new AccessAppended(
                        at,
                        rs.getLong("seq"),
                        Bytes32.fromHex(rs.getString("patient")),
                        Bytes32.fromHex(rs.getString("resource")),
                        rs.getString("actor"),
                        rs.getInt("action_code"),
                        rs.getInt("outcome"),
                        rs.getLong("event_time"),
                        Bytes32.fromHex(rs.getString("audit_hash")));
        return new Row(rs.getLong("leaf_index"), e);
    }
}
