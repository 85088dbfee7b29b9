package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;

/**
 * Independent check: roots and proofs published by the Certificate Transparency / Trillian test suites
 * for the same 8 leaves, against both the log and the reference tree (so neither can be wrong in the same way
 * without this test noticing).
 */
class PublishedVectorsTest {

    private static final JsonNode PUBLISHED = TestVectors.json("published-ct-vectors.json");

    @Test
    void rootsMatchPublishedValues() {
        MerkleLog log = TestVectors.logOf(PUBLISHED);
        List<Bytes32> refLeaves = ReferenceTree.leafHashes(TestVectors.entries(PUBLISHED));
        assertThat(PUBLISHED.get("roots")).hasSize(9);
        for (JsonNode r : PUBLISHED.get("roots")) {
            int size = r.get("treeSize").asInt();
            Bytes32 expected = Bytes32.fromHex(r.get("rootHash").asText());
            assertThat(log.rootAt(size)).as("log root of size %d", size).isEqualTo(expected);
            assertThat(ReferenceTree.mth(refLeaves.subList(0, size)))
                    .as("reference root of size %d", size)
                    .isEqualTo(expected);
        }
        assertThat(log.root()).isEqualTo(log.rootAt(8));
    }

    @Test
    void inclusionProofsMatchPublishedValues() throws VerificationException {
        MerkleLog log = TestVectors.logOf(PUBLISHED);
        for (JsonNode c : PUBLISHED.get("inclusion")) {
            long index = c.get("leafIndex").asLong();
            long size = c.get("treeSize").asLong();
            List<Bytes32> expected = TestVectors.hashes(c.get("hashes"));
            InclusionProof proof = log.inclusionProof(index, size);
            assertThat(proof.hashes()).as("PATH(%d, %d)", index, size).isEqualTo(expected);
            ProofVerifier.verifyInclusion(log.leafHash(index), proof, log.rootAt(size));
        }
    }

    @Test
    void consistencyProofsMatchPublishedValues() throws VerificationException {
        MerkleLog log = TestVectors.logOf(PUBLISHED);
        for (JsonNode c : PUBLISHED.get("consistency")) {
            long size1 = c.get("size1").asLong();
            long size2 = c.get("size2").asLong();
            List<Bytes32> expected = TestVectors.hashes(c.get("hashes"));
            ConsistencyProof proof = log.consistencyProof(size1, size2);
            assertThat(proof.hashes()).as("PROOF(%d, %d)", size1, size2).isEqualTo(expected);
            ProofVerifier.verifyConsistency(proof, log.rootAt(size1), log.rootAt(size2));
        }
    }
}
