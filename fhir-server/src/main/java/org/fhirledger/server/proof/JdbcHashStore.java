package org.fhirledger.server.proof;

import java.util.List;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.HashStore;
import org.fhirledger.merkle.StoredNode;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link HashStore} in the database: table {@code fl_merkle_node (lvl, idx) → hash}. A batch is written in one
 * transaction (joining the caller's, e.g. the chain follower's, when there is one), so the stored tree is always
 * the tree of a prefix of the leaves. The leaf count is {@code max(idx) + 1} at level 0, read through the primary
 * key.
 */
public final class JdbcHashStore implements HashStore {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;

    public JdbcHashStore(JdbcTemplate jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    @Override
    public long leafCount() {
        Long max = jdbc.queryForObject("select max(idx) from fl_merkle_node where lvl = 0", Long.class);
        return max == null ? 0 : max + 1;
    }

    @Override
    public Bytes32 node(int level, long index) {
        List<String> h = jdbc.queryForList(
                "select hash from fl_merkle_node where lvl = ? and idx = ?", String.class, level, index);
        if (h.isEmpty()) throw new IllegalArgumentException("no node at level " + level + " index " + index);
        return Bytes32.fromHex(h.get(0));
    }

    @Override
    public void append(List<StoredNode> nodes) {
        if (nodes.isEmpty()) return;
        tx.executeWithoutResult(s -> jdbc.batchUpdate(
                "insert into fl_merkle_node (lvl, idx, hash) values (?, ?, ?)", nodes, 500, (ps, n) -> {
                    ps.setInt(1, n.level());
                    ps.setLong(2, n.index());
                    ps.setString(3, n.hash().toHexDigits());
                }));
    }
}
