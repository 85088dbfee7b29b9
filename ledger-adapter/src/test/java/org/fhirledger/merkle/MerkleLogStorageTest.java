package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The storage port: reopening, atomic failed writes, chunk boundaries and O(log n) reads per proof. */
class MerkleLogStorageTest {

    /** More than two in-memory chunks (2^15 hashes each) at level 0. */
    private static final int N = 70_000;

    private static List<Bytes32> leaves;

    @BeforeAll
    static void leaves() {
        Random rnd = new Random(70);
        leaves = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            leaves.add(ProofMutations.randomHash(rnd));
        }
    }

    @Test
    void storesTwoHashesPerLeafAndReadsLogarithmicallyPerProof() throws VerificationException {
        CountingHashStore store = new CountingHashStore(new InMemoryHashStore());
        MerkleLog log = new MerkleLog(store);
        log.appendLeafHashes(leaves);
        // n leaves plus the n - popcount(n) interior perfect subtrees.
        assertThat(store.nodesWritten).isEqualTo(2L * N - Long.bitCount(N));
        assertThat(store.reads).isZero();

        Random rnd = new Random(71);
        for (int t = 0; t < 200; t++) {
            long size = 1 + rnd.nextInt(N);
            long index = rnd.nextInt((int) size);
            long before = store.reads;
            InclusionProof inc = log.inclusionProof(index, size);
            // ≤ one read per proof hash plus one right-border fold of ≤ log2(size) subtrees.
            assertThat(store.reads - before).isLessThanOrEqualTo(2L * 17 + 1);
            ProofVerifier.verifyInclusion(leaves.get((int) index), inc, log.rootAt(size));
            long size1 = 1 + rnd.nextInt((int) size);
            before = store.reads;
            ConsistencyProof con = log.consistencyProof(size1, size);
            assertThat(store.reads - before).isLessThanOrEqualTo(3L * 17 + 1);
            ProofVerifier.verifyConsistency(con, log.rootAt(size1), log.rootAt(size));
        }
    }

    @Test
    void rootsAndProofsAcrossChunkBoundariesMatchReference() throws VerificationException {
        MerkleLog log = MerkleLog.inMemory();
        log.appendLeafHashes(leaves);
        for (int size : new int[] {32_767, 32_768, 32_769, 65_535, 65_536, 65_537, N}) {
            Bytes32 ref = ReferenceTree.mth(leaves.subList(0, size));
            assertThat(log.rootAt(size)).as("root of %d", size).isEqualTo(ref);
            for (int index : new int[] {0, 32_767, 32_768, size - 1}) {
                if (index < size) {
                    InclusionProof p = log.inclusionProof(index, size);
                    assertThat(p.hashes()).isEqualTo(ReferenceTree.path(index, leaves.subList(0, size)));
                    ProofVerifier.verifyInclusion(leaves.get(index), p, ref);
                }
            }
        }
        assertThat(log.root()).isEqualTo(log.rootAt(N));
    }

    @Test
    void reopeningAStoreRestoresTheSameLog() throws VerificationException {
        InMemoryHashStore store = new InMemoryHashStore();
        MerkleLog first = new MerkleLog(store);
        first.appendLeafHashes(leaves.subList(0, 5_001));
        MerkleLog reopened = new MerkleLog(store);
        assertThat(reopened.size()).isEqualTo(5_001);
        assertThat(reopened.root()).isEqualTo(first.root());
        // Appending after reopening continues the same tree (the frontier was rebuilt from the store).
        reopened.appendLeafHashes(leaves.subList(5_001, 9_000));
        MerkleLog fresh = MerkleLog.inMemory();
        fresh.appendLeafHashes(leaves.subList(0, 9_000));
        assertThat(reopened.root()).isEqualTo(fresh.root());
        ProofVerifier.verifyConsistency(reopened.consistencyProof(5_001, 9_000), first.rootAt(5_001), fresh.root());
    }

    @Test
    void failedStoreWriteLeavesTheLogUnchanged() {
        CountingHashStore store = new CountingHashStore(new InMemoryHashStore());
        MerkleLog log = new MerkleLog(store);
        log.appendLeafHashes(leaves.subList(0, 7));
        Bytes32 rootBefore = log.root();
        store.failNextAppend = true;
        assertThatThrownBy(() -> log.appendLeafHashes(leaves.subList(7, 12))).isInstanceOf(IllegalStateException.class);
        assertThat(log.size()).isEqualTo(7);
        assertThat(log.root()).isEqualTo(rootBefore);
        // The retry produces the same tree as if the failure never happened.
        log.appendLeafHashes(leaves.subList(7, 12));
        MerkleLog fresh = MerkleLog.inMemory();
        fresh.appendLeafHashes(leaves.subList(0, 12));
        assertThat(log.root()).isEqualTo(fresh.root());
    }

    @Test
    void inMemoryStoreRejectsOutOfOrderBatchesWithoutPartialWrites() {
        InMemoryHashStore store = new InMemoryHashStore();
        Bytes32 h = leaves.get(0);
        store.append(List.of(new StoredNode(0, 0, h)));
        assertThatThrownBy(() -> store.append(List.of(new StoredNode(0, 1, h), new StoredNode(0, 3, h))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("expected 2");
        assertThat(store.leafCount()).isEqualTo(1);
        assertThatThrownBy(() -> store.node(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.node(5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.node(0, 0)).isEqualTo(h);
    }

    @Test
    void requestsOutsideTheLogAreRefusedWithProofException() {
        MerkleLog log = MerkleLog.inMemory();
        assertThat(log.root()).isEqualTo(Rfc6962.emptyRoot());
        assertThat(log.rootAt(0)).isEqualTo(Rfc6962.emptyRoot());
        assertThatThrownBy(() -> log.inclusionProof(0, 0))
                .isInstanceOf(ProofException.class)
                .hasMessageContaining("not in tree of size 0");
        log.appendLeafHashes(leaves.subList(0, 10));
        assertThatThrownBy(() -> log.rootAt(11))
                .isInstanceOf(ProofException.class)
                .hasMessageContaining("outside [0, 10]");
        assertThatThrownBy(() -> log.rootAt(-1)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.inclusionProof(10, 10)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.inclusionProof(-1, 10)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.inclusionProof(0, 11)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.consistencyProof(5, 4))
                .isInstanceOf(ProofException.class)
                .hasMessageContaining("first tree size 5");
        assertThatThrownBy(() -> log.consistencyProof(5, 11)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.leafHash(10)).isInstanceOf(ProofException.class);
        assertThatThrownBy(() -> log.appendLeafHashes(java.util.Arrays.asList(leaves.get(0), null)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(log.size()).isEqualTo(10);
        assertThat(log.consistencyProof(0, 10).hashes()).isEmpty();
        assertThat(log.consistencyProof(10, 10).hashes()).isEmpty();
    }
}
