package org.fhirledger.server.proof;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The proof tables, created at start-up if missing. Plain DDL that H2 and PostgreSQL both accept; hashes are
 * lower-case hex (portable, and readable in a SQL console). Separate from HAPI's schema ({@code fl_} prefix).
 * <ul>
 *   <li>{@code fl_merkle_node}: the {@link JdbcHashStore}, perfect-subtree hashes by (level, index);</li>
 *   <li>{@code fl_ledger_leaf}: the leaf index: leaf → the ledger entry's fields and where it is on chain;</li>
 *   <li>{@code fl_follower}: how far the chain follower has read the private chain (one row);</li>
 *   <li>{@code fl_chain_break}: where the log continues with a rewritten private chain's history (epoch &gt; 0),
 *       taken by the operator's recovery; leaves carry their epoch, sequence numbers are unique per epoch;</li>
 *   <li>{@code fl_anchor}: the anchors seen on / published to the public chain.</li>
 * </ul>
 */
final class ProofSchema {

    static final String[] DDL = {
        "create table if not exists fl_merkle_node (lvl integer not null, idx bigint not null, "
                + "hash varchar(64) not null, primary key (lvl, idx))",
        "create table if not exists fl_ledger_leaf (leaf_index bigint not null primary key, lane varchar(8) not null, "
                + "seq bigint not null, resource varchar(66) not null, patient varchar(66) not null, version bigint, "
                + "content_hash varchar(66), cid varchar(1024), custodian varchar(42), actor varchar(42), "
                + "action_code integer, outcome integer, event_time bigint, audit_hash varchar(66), "
                + "block_number bigint not null, block_hash varchar(66) not null, log_index bigint not null, "
                + "tx_hash varchar(66) not null, epoch integer default 0 not null)",
        // logs created before chain breaks existed: sequence numbers are unique per epoch, not overall
        "alter table fl_ledger_leaf add column if not exists epoch integer default 0 not null",
        "alter table fl_ledger_leaf drop constraint if exists fl_ledger_leaf_lane_seq",
        "create unique index if not exists fl_ledger_leaf_epoch_seq on fl_ledger_leaf (epoch, lane, seq)",
        "create table if not exists fl_chain_break (epoch integer not null primary key, first_leaf bigint not null, "
                + "resume_block bigint not null, lost_block bigint, lost_block_hash varchar(66), "
                + "record_next_seq bigint not null, access_next_seq bigint not null, at_time bigint not null, "
                + "reason varchar(1000) not null)",
        "create index if not exists fl_ledger_leaf_record on fl_ledger_leaf (resource, version)",
        "create index if not exists fl_ledger_leaf_audit on fl_ledger_leaf (audit_hash)",
        "create table if not exists fl_follower (id integer not null primary key, next_block bigint not null, "
                + "last_block bigint, last_block_hash varchar(66))",
        "create table if not exists fl_anchor (anchor_index bigint not null primary key, tree_size bigint not null, "
                + "root varchar(64) not null, tx_hash varchar(66), block_number bigint, gas_used bigint, "
                + "anchored_at bigint not null)",
    };

    private ProofSchema() {}

    static void create(JdbcTemplate jdbc) {
        for (String ddl : DDL) jdbc.execute(ddl);
    }
}
