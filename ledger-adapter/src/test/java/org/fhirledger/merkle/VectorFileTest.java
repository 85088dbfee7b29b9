package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The log and verifier against the data-driven vectors of rfc6962-8-leaves.json. */
class VectorFileTest {

    private static final String FILE = "rfc6962-8-leaves.json";
    private static final JsonNode VECTORS = TestVectors.json(FILE);

    @Test
    void committedFileIsExactlyWhatTheReferenceGenerates() {
        // Guards against hand edits: the vectors come from the naive reference, never from MerkleLog.
        assertThat(TestVectors.text(FILE)).isEqualTo(VectorFileGenerator.generate());
    }

    @Test
    void leafHashesAndRootsMatch() {
        List<byte[]> entries = TestVectors.entries(VECTORS);
        List<Bytes32> leafHashes = TestVectors.hashes(VECTORS.get("leafHashes"));
        for (int i = 0; i < entries.size(); i++) {
            assertThat(Rfc6962.leafHash(entries.get(i))).isEqualTo(leafHashes.get(i));
        }
        MerkleLog log = TestVectors.logOf(VECTORS);
        for (JsonNode r : VECTORS.get("roots")) {
            assertThat(log.rootAt(r.get("treeSize").asLong()))
                    .isEqualTo(Bytes32.fromHex(r.get("rootHash").asText()));
        }
    }

    @ParameterizedTest(name = "inclusion of {1} in size {2}")
    @MethodSource("validInclusion")
    void logProducesAndVerifierAcceptsInclusion(InclusionCase c, long index, long size) {
        MerkleLog log = TestVectors.logOf(VECTORS);
        assertThat(log.inclusionProof(index, size).hashes()).isEqualTo(c.hashes());
        assertThat(log.leafHash(index)).isEqualTo(c.leafHash());
        assertThatCode(c::verify).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "consistency {1} -> {2}")
    @MethodSource("validConsistency")
    void logProducesAndVerifierAcceptsConsistency(ConsistencyCase c, long size1, long size2) {
        MerkleLog log = TestVectors.logOf(VECTORS);
        assertThat(log.consistencyProof(size1, size2).hashes()).isEqualTo(c.hashes());
        assertThatCode(c::verify).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("inclusionNegatives")
    void verifierRejectsMutatedInclusion(String name, InclusionCase c) {
        assertThatThrownBy(c::verify).isInstanceOf(VerificationException.class).hasMessageNotContaining("null");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("consistencyNegatives")
    void verifierRejectsMutatedConsistency(String name, ConsistencyCase c) {
        assertThatThrownBy(c::verify).isInstanceOf(VerificationException.class).hasMessageNotContaining("null");
    }

    @Test
    void fileCoversEveryCase() {
        // 36 (index, size) pairs and 44 (size1, size2) pairs for sizes 1..8, and negatives for each.
        assertThat(VECTORS.get("inclusion")).hasSize(36);
        assertThat(VECTORS.get("consistency")).hasSize(44);
        assertThat(VECTORS.get("inclusionNegatives").size()).isGreaterThan(36 * 8);
        assertThat(VECTORS.get("consistencyNegatives").size()).isGreaterThan(44 * 6);
    }

    static Stream<Arguments> validInclusion() {
        List<Arguments> out = new ArrayList<>();
        VECTORS.get("inclusion").forEach(c -> {
            InclusionCase ic = TestVectors.inclusion(c);
            out.add(Arguments.of(ic, ic.leafIndex(), ic.treeSize()));
        });
        return out.stream();
    }

    static Stream<Arguments> validConsistency() {
        List<Arguments> out = new ArrayList<>();
        VECTORS.get("consistency").forEach(c -> {
            ConsistencyCase cc = TestVectors.consistency(c);
            out.add(Arguments.of(cc, cc.size1(), cc.size2()));
        });
        return out.stream();
    }

    static Stream<Arguments> inclusionNegatives() {
        List<Arguments> out = new ArrayList<>();
        VECTORS.get("inclusionNegatives").forEach(c -> {
            InclusionCase ic = TestVectors.inclusion(c);
            out.add(Arguments.of(ic.name() + " (index " + ic.leafIndex() + ", size " + ic.treeSize() + ")", ic));
        });
        return out.stream();
    }

    static Stream<Arguments> consistencyNegatives() {
        List<Arguments> out = new ArrayList<>();
        VECTORS.get("consistencyNegatives").forEach(c -> {
            ConsistencyCase cc = TestVectors.consistency(c);
            out.add(Arguments.of(cc.name() + " (" + cc.size1() + " -> " + cc.size2() + ")", cc));
        });
        return out.stream();
    }
}
