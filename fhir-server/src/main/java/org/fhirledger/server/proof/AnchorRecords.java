package org.fhirledger.server.proof;

import java.util.List;
import java.util.Optional;
import org.fhirledger.anchor.Anchor;
import org.fhirledger.anchor.AnchorReceipt;
import org.fhirledger.bytes.Bytes32;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The anchors the server has published or seen on the public chain ({@code fl_anchor}), so {@code $verify} and
 * {@code $ledger-status} answer without a public-chain call, and keep answering while it is down. The chain stays
 * the authority: the anchorer checks every new tree against the chain's newest anchor, and verifiers read roots
 * from the chain themselves.
 */
public final class AnchorRecords {

    /** One anchor; {@code txHash}/{@code blockNumber} null when not known (seen on chain, event not found). */
    public record Row(
            long index, long treeSize, Bytes32 root, String txHash, Long blockNumber, Long gasUsed, long anchoredAt) {}

    private final JdbcTemplate jdbc;

    public AnchorRecords(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void save(AnchorReceipt r) {
        save(r.anchor(), r.txHash(), r.blockNumber(), r.gasUsed() < 0 ? null : r.gasUsed());
    }

    void save(Anchor a, String txHash, Long block, Long gasUsed) {
        if (byIndex(a.index()).isPresent()) return;
        jdbc.update(
                "insert into fl_anchor (anchor_index, tree_size, root, tx_hash, block_number, gas_used, anchored_at) "
                        + "values (?, ?, ?, ?, ?, ?, ?)",
                a.index(),
                a.treeSize(),
                a.root().toHexDigits(),
                txHash,
                block,
                gasUsed,
                a.timestamp());
    }

    public Optional<Row> latest() {
        return one(jdbc.query("select * from fl_anchor order by anchor_index desc limit 1", this::map));
    }

    public Optional<Row> byIndex(long index) {
        return one(jdbc.query("select * from fl_anchor where anchor_index = ?", this::map, index));
    }

    private Row map(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        return new Row(
                rs.getLong("anchor_index"),
                rs.getLong("tree_size"),
                Bytes32.fromHex(rs.getString("root")),
                rs.getString("tx_hash"),
                (Long) rs.getObject("block_number", Long.class),
                (Long) rs.getObject("gas_used", Long.class),
                rs.getLong("anchored_at"));
    }

    private static Optional<Row> one(List<Row> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }
}
