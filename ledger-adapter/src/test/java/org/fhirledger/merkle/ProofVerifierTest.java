package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;

/** The verifier's messages say which check failed; edge cases outside the RFC algorithms. */
class ProofVerifierTest {

    private static final MerkleLog LOG = TestVectors.logOf(TestVectors.json("published-ct-vectors.json"));

    @Test
    void inclusionFailuresNameTheCheck() {
        InclusionProof p = LOG.inclusionProof(5, 8);
        Bytes32 leaf = LOG.leafHash(5);
        Bytes32 root = LOG.rootAt(8);
        List<Bytes32> longer = new ArrayList<>(p.hashes());
        longer.add(root);
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(leaf, 5, 8, longer, root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("too long");
        assertThatThrownBy(() ->
                        ProofVerifier.verifyInclusion(leaf, 5, 8, p.hashes().subList(0, 2), root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(leaf, 8, 8, p.hashes(), root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("not in a tree of size 8");
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(leaf, 4, 8, p.hashes(), root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("leads to root");
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(leaf, 0, 0, List.of(), Rfc6962.emptyRoot()))
                .isInstanceOf(VerificationException.class);
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(null, p, root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("leaf hash is missing");
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(leaf, 5, 8, Arrays.asList(null, null, null), root))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("proof element 0 is missing");
        assertThatCode(() -> ProofVerifier.verifyInclusion(leaf, p, root)).doesNotThrowAnyException();
    }

    @Test
    void consistencyFailuresNameTheCheck() {
        ConsistencyProof p = LOG.consistencyProof(6, 8);
        Bytes32 r6 = LOG.rootAt(6);
        Bytes32 r8 = LOG.rootAt(8);
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(8, 6, r8, r6, p.hashes()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("larger than second");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(6, 8, r6, r8, List.of()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("empty consistency proof");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(6, 8, r8, r6, p.hashes()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("first root");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(8, 8, r8, r8, p.hashes()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("must be empty");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(8, 8, r6, r8, List.of()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("different roots");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(0, 8, r6, r8, List.of()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("empty-tree hash");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(0, 8, Rfc6962.emptyRoot(), r8, p.hashes()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("must be empty");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(-1, 8, r6, r8, List.of()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> ProofVerifier.verifyConsistency(6, 8, r6, null, p.hashes()))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("second root is missing");
        assertThatCode(() -> ProofVerifier.verifyConsistency(p, r6, r8)).doesNotThrowAnyException();
        assertThatCode(() -> ProofVerifier.verifyConsistency(0, 8, Rfc6962.emptyRoot(), r8, List.of()))
                .doesNotThrowAnyException();
        assertThatCode(() -> ProofVerifier.verifyConsistency(8, 8, r8, r8, List.of()))
                .doesNotThrowAnyException();
    }

    @Test
    void rootFromInclusionProofLetsACallerLookTheRootUp() throws VerificationException {
        InclusionProof p = LOG.inclusionProof(3, 7);
        org.assertj.core.api.Assertions.assertThat(
                        ProofVerifier.rootFromInclusionProof(LOG.leafHash(3), 3, 7, p.hashes()))
                .isEqualTo(LOG.rootAt(7));
    }

    @Test
    void sizeIsBoundThroughTheRoot() throws VerificationException {
        // Documented in docs/merkle.md: leaf 0 has the same path shape in trees of 3 and 4 leaves, so the
        // size-4 proof passes for size 3 only together with the size-4 root; with the size-3 root it fails.
        InclusionProof p = LOG.inclusionProof(0, 4);
        ProofVerifier.verifyInclusion(LOG.leafHash(0), 0, 3, p.hashes(), LOG.rootAt(4));
        assertThatThrownBy(() -> ProofVerifier.verifyInclusion(LOG.leafHash(0), 0, 3, p.hashes(), LOG.rootAt(3)))
                .isInstanceOf(VerificationException.class);
    }
}
