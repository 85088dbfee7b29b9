package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The efficient log and the verifier against the naive {@link ReferenceTree}, for every tree size 1..1000
 * (seeded, so failures reproduce). Proofs are requested for historical sizes of the full 1000-leaf log, which
 * exercises the "any size ≤ current" path, and also right after each append.
 */
class MerkleLogPropertyTest {

    private static final int MAX = 1000;
    private static final long SEED = 0x6962_9162L;

    private static List<Bytes32> leaves;
    /** refRoots[n] = MTH of the first n leaves, from the reference. */
    private static Bytes32[] refRoots;

    private static MerkleLog log;

    @BeforeAll
    static void build() {
        Random rnd = new Random(SEED);
        List<byte[]> entries = new ArrayList<>();
        for (int i = 0; i < MAX; i++) {
            byte[] e = new byte[8 + rnd.nextInt(40)];
            rnd.nextBytes(e);
            entries.add(e);
        }
        leaves = ReferenceTree.leafHashes(entries);
        refRoots = new Bytes32[MAX + 1];
        log = MerkleLog.inMemory();
        refRoots[0] = ReferenceTree.mth(List.of());
        for (int n = 1; n <= MAX; n++) {
            assertThat(log.appendEntry(entries.get(n - 1))).isEqualTo(n - 1);
            refRoots[n] = ReferenceTree.mth(leaves.subList(0, n));
            // Root right after each append, from the frontier.
            assertThat(log.root()).as("root after append, size %d", n).isEqualTo(refRoots[n]);
        }
    }

    @Test
    void everyHistoricalRootMatchesReference() {
        assertThat(log.size()).isEqualTo(MAX);
        for (int n = 0; n <= MAX; n++) {
            assertThat(log.rootAt(n)).as("rootAt(%d)", n).isEqualTo(refRoots[n]);
        }
        assertThat(refRoots[0]).isEqualTo(Rfc6962.emptyRoot());
    }

    @Test
    void leafHashesAreStoredAsGiven() {
        for (int i = 0; i < MAX; i += 7) {
            assertThat(log.leafHash(i)).isEqualTo(leaves.get(i));
        }
    }

    @Test
    void inclusionProofsMatchReferenceAndVerify() throws VerificationException {
        Random rnd = new Random(SEED + 1);
        int checked = 0;
        for (int n = 1; n <= MAX; n++) {
            for (long i : sampleIndices(n, rnd)) {
                InclusionProof proof = log.inclusionProof(i, n);
                List<Bytes32> expected = ReferenceTree.path((int) i, leaves.subList(0, n));
                assertThat(proof.hashes()).as("PATH(%d, D[%d])", i, n).isEqualTo(expected);
                assertThat(proof.leafIndex()).isEqualTo(i);
                assertThat(proof.treeSize()).isEqualTo(n);
                ProofVerifier.verifyInclusion(leaves.get((int) i), proof, refRoots[n]);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(MAX * 5);
    }

    @Test
    void consistencyProofsMatchReferenceAndVerify() throws VerificationException {
        Random rnd = new Random(SEED + 2);
        for (int n = 1; n <= MAX; n++) {
            for (long m : sampleFirstSizes(n, rnd)) {
                ConsistencyProof proof = log.consistencyProof(m, n);
                List<Bytes32> expected = m == 0 ? List.of() : ReferenceTree.proof((int) m, leaves.subList(0, n));
                assertThat(proof.hashes()).as("PROOF(%d, D[%d])", m, n).isEqualTo(expected);
                ProofVerifier.verifyConsistency(proof, refRoots[(int) m], refRoots[n]);
            }
        }
    }

    @Test
    void mutatedInclusionProofsAreRejected() {
        Random rnd = new Random(SEED + 3);
        int rejected = 0;
        for (int n = 1; n <= MAX; n += (n < 70 ? 1 : 37)) {
            for (long i : sampleIndices(n, rnd)) {
                InclusionProof proof = log.inclusionProof(i, n);
                InclusionCase valid =
                        new InclusionCase("valid", leaves.get((int) i), i, n, proof.hashes(), refRoots[n]);
                assertThatCode(valid::verify).doesNotThrowAnyException();
                for (InclusionCase bad : ProofMutations.inclusion(valid, this::rootOrNull, rnd)) {
                    assertThat(catchThrowable(bad::verify))
                            .as("%s for index %d size %d", bad.name(), i, n)
                            .isInstanceOf(VerificationException.class);
                    rejected++;
                }
            }
        }
        assertThat(rejected).isGreaterThan(5000);
    }

    @Test
    void mutatedConsistencyProofsAreRejected() {
        Random rnd = new Random(SEED + 4);
        int rejected = 0;
        for (int n = 1; n <= MAX; n += (n < 70 ? 1 : 37)) {
            for (long m : sampleFirstSizes(n, rnd)) {
                ConsistencyProof proof = log.consistencyProof(m, n);
                ConsistencyCase valid =
                        new ConsistencyCase("valid", m, n, refRoots[(int) m], refRoots[n], proof.hashes());
                assertThatCode(valid::verify).doesNotThrowAnyException();
                for (ConsistencyCase bad : ProofMutations.consistency(valid, this::rootOrNull, rnd)) {
                    assertThat(catchThrowable(bad::verify))
                            .as("%s for %d -> %d", bad.name(), m, n)
                            .isInstanceOf(VerificationException.class);
                    rejected++;
                }
            }
        }
        assertThat(rejected).isGreaterThan(3000);
    }

    @Test
    void proofsForTheCurrentSizeMatchWhileGrowing() throws VerificationException {
        // A fresh log, checked after every append (the other tests only query the finished log).
        MerkleLog growing = MerkleLog.inMemory();
        Random rnd = new Random(SEED + 5);
        for (int n = 1; n <= 300; n++) {
            growing.appendLeafHash(leaves.get(n - 1));
            long i = rnd.nextInt(n);
            InclusionProof inc = growing.inclusionProof(i, n);
            ProofVerifier.verifyInclusion(leaves.get((int) i), inc, refRoots[n]);
            long m = 1 + rnd.nextInt(n);
            ProofVerifier.verifyConsistency(growing.consistencyProof(m, n), refRoots[(int) m], refRoots[n]);
        }
    }

    @Test
    void batchAppendEqualsSingleAppends() {
        MerkleLog batched = MerkleLog.inMemory();
        assertThat(batched.appendLeafHashes(leaves.subList(0, 333))).isZero();
        assertThat(batched.appendLeafHashes(leaves.subList(333, MAX))).isEqualTo(333);
        assertThat(batched.root()).isEqualTo(refRoots[MAX]);
        assertThat(batched.rootAt(500)).isEqualTo(refRoots[500]);
    }

    private Bytes32 rootOrNull(long size) {
        return size >= 0 && size <= MAX ? refRoots[(int) size] : null;
    }

    /** All indices for small trees; otherwise both ends, the split neighbourhood and a few random ones. */
    private static TreeSet<Long> sampleIndices(int n, Random rnd) {
        TreeSet<Long> s = new TreeSet<>();
        if (n <= 40) {
            for (long i = 0; i < n; i++) {
                s.add(i);
            }
            return s;
        }
        long k = ReferenceTree.k(n);
        for (long i : new long[] {0, 1, k - 1, k, n / 2, n - 2, n - 1}) {
            s.add(i);
        }
        for (int r = 0; r < 3; r++) {
            s.add((long) rnd.nextInt(n));
        }
        return s;
    }

    /** All first sizes 0..n for small trees; otherwise edges, powers of two and a few random ones. */
    private static TreeSet<Long> sampleFirstSizes(int n, Random rnd) {
        TreeSet<Long> s = new TreeSet<>();
        if (n <= 40) {
            for (long m = 0; m <= n; m++) {
                s.add(m);
            }
            return s;
        }
        long k = ReferenceTree.k(n);
        for (long m : new long[] {0, 1, 2, k - 1, k, k + 1, n - 1, n}) {
            s.add(m);
        }
        for (int r = 0; r < 3; r++) {
            s.add(1L + rnd.nextInt(n));
        }
        return s;
    }
}
