package org.fhirledger.server.proof;

import org.fhirledger.merkle.MerkleLog;

/**
 * The server's Merkle log over {@link JdbcHashStore}. The follower appends inside a database transaction that also
 * writes the leaf index; if that transaction fails after the log accepted the leaves, {@link #reopen()} rebuilds
 * the log's in-memory frontier from what the database actually holds.
 */
public final class ProofLog {
    private final JdbcHashStore store;
    private volatile MerkleLog log;

    ProofLog(JdbcHashStore store) {
        this.store = store;
        this.log = new MerkleLog(store);
    }

    public MerkleLog log() {
        return log;
    }

    void reopen() {
        log = new MerkleLog(store);
    }
}
