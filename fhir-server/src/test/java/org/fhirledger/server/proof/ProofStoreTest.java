package org.fhirledger.server.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.anchor.AccessAppended;
import org.fhirledger.anchor.ChainPosition;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.RecordAppended;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.MerkleLog;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.merkle.StoredNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The database HashStore and leaf index on H2 and on real PostgreSQL (zonky), against the in-memory log. */
class ProofStoreTest {

    static Bytes32 sha(String s) throws Exception {
        return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theDatabaseLogEqualsTheInMemoryLogAndSurvivesReopening(String kind) throws Exception {
        ProofDatabases.Db db = ProofDatabases.fresh(kind);
        MerkleLog reference = MerkleLog.inMemory();
        MerkleLog log = db.log().log();
        List<Bytes32> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Bytes32 leaf = org.fhirledger.merkle.Rfc6962.leafHash(("entry " + i).getBytes(StandardCharsets.UTF_8));
            reference.appendLeafHash(leaf);
            batch.add(leaf);
            if (batch.size() == 1 + i % 7) { // uneven batches
                log.appendLeafHashes(batch);
                batch.clear();
            }
        }
        log.appendLeafHashes(batch);
        assertThat(log.size()).isEqualTo(300);
        MerkleLog reopened = db.log().log();
        assertThat(reopened.size()).isEqualTo(300);
        assertThat(reopened.root()).isEqualTo(reference.root());
        for (long m : new long[] {1, 2, 3, 64, 65, 127, 200, 300}) {
            assertThat(reopened.rootAt(m)).isEqualTo(reference.rootAt(m));
            assertThat(reopened.inclusionProof(m - 1, m)).isEqualTo(reference.inclusionProof(m - 1, m));
            assertThat(reopened.consistencyProof(m / 2, m)).isEqualTo(reference.consistencyProof(m / 2, m));
            ProofVerifier.verifyInclusion(
                    reference.leafHash(m / 3), reopened.inclusionProof(m / 3, m), reference.rootAt(m));
        }
        // a failing batch (a node that already exists) leaves nothing behind: the store stays a prefix tree
        JdbcHashStore store = new JdbcHashStore(db.jdbc(), db.tx());
        Bytes32 any = reference.leafHash(0);
        assertThatThrownBy(() -> store.append(List.of(new StoredNode(0, 300, any), new StoredNode(0, 0, any))))
                .isInstanceOf(RuntimeException.class);
        assertThat(store.leafCount()).isEqualTo(300);
        assertThat(db.jdbc().queryForObject("select count(*) from fl_merkle_node", Long.class))
                .isEqualTo(2L * 300 - Long.bitCount(300));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theLeafIndexFindsEntriesAndRebuildsTheirLeaves(String kind) throws Exception {
        ProofDatabases.Db db = ProofDatabases.fresh(kind);
        LeafIndex index = new LeafIndex(db.jdbc());
        ChainPosition at = new ChainPosition(12, "0x" + "ab".repeat(32), 3, "0x" + "cd".repeat(32));
        RecordAppended r = new RecordAppended(
                at,
                0,
                sha("Patient/1"),
                2,
                sha("Patient/1"),
                sha("content"),
                new byte[] {1, 0x55, 0x12, 0x20, 9},
                "0x" + "11".repeat(20));
        AccessAppended a = new AccessAppended(
                at, 0, sha("Patient/1"), sha("Patient/1"), "0x" + "22".repeat(20), 1, 1, 1_736_899_200L, sha("audit"));
        index.insert(List.of(new LeafIndex.Row(0, r), new LeafIndex.Row(1, a)));
        LedgerEvent found = index.findRecord(sha("Patient/1"), 2, "0x" + "11".repeat(20))
                .orElseThrow()
                .event();
        assertThat(found).isEqualTo(r);
        assertThat(found.leafHash()).isEqualTo(r.leafHash());
        assertThat(index.findRecord(sha("Patient/1"), 2, "0x" + "33".repeat(20)))
                .as("another custodian's")
                .isEmpty();
        assertThat(index.findRecord(sha("Patient/1"), 3, "0x" + "11".repeat(20)))
                .isEmpty();
        assertThat(index.findAccess(sha("audit")).orElseThrow().event().leafHash())
                .isEqualTo(a.leafHash());
        assertThat(index.nextSeq(LedgerEvent.Lane.RECORD)).isEqualTo(1);
        assertThat(index.nextSeq(LedgerEvent.Lane.ACCESS)).isEqualTo(1);
        assertThatThrownBy(() -> index.insert(List.of(new LeafIndex.Row(2, r))))
                .as("(lane, seq) is unique")
                .isInstanceOf(RuntimeException.class);
    }
}
