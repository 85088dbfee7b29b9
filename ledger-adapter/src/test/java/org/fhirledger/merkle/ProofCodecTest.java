package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fhirledger.merkle.ProofCodec.Encoding;
import org.fhirledger.merkle.ProofCodec.RootedConsistencyProof;
import org.fhirledger.merkle.ProofCodec.RootedInclusionProof;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Rekor-shaped JSON: golden outputs, round trips that still verify, and strict rejection of malformed input. */
class ProofCodecTest {

    private static final JsonNode FILE = TestVectors.json("proof-json.json");
    private static final MerkleLog LOG = TestVectors.logOf(TestVectors.json("published-ct-vectors.json"));

    @Test
    void writesTheGoldenJson() {
        for (JsonNode g : FILE.get("golden")) {
            Encoding enc = Encoding.valueOf(g.get("encoding").asText());
            String json = g.get("kind").asText().equals("inclusion")
                    ? ProofCodec.toJson(LOG.inclusionProof(5, 8), LOG.rootAt(8), enc)
                    : ProofCodec.toJson(LOG.consistencyProof(6, 8), LOG.rootAt(6), LOG.rootAt(8), enc);
            assertThat(json)
                    .as("%s %s", g.get("kind").asText(), enc)
                    .isEqualTo(g.get("json").asText());
        }
    }

    @Test
    void parsedGoldenProofsVerify() throws VerificationException {
        for (JsonNode g : FILE.get("golden")) {
            Encoding enc = Encoding.valueOf(g.get("encoding").asText());
            if (g.get("kind").asText().equals("inclusion")) {
                RootedInclusionProof p = ProofCodec.parseInclusion(g.get("json").asText(), enc);
                assertThat(p.proof()).isEqualTo(LOG.inclusionProof(5, 8));
                ProofVerifier.verifyInclusion(LOG.leafHash(5), p.proof(), p.rootHash());
            } else {
                RootedConsistencyProof p =
                        ProofCodec.parseConsistency(g.get("json").asText(), enc);
                assertThat(p.proof()).isEqualTo(LOG.consistencyProof(6, 8));
                ProofVerifier.verifyConsistency(p.proof(), p.firstRootHash(), p.rootHash());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void everyProofRoundTrips(Encoding enc) {
        for (long size = 1; size <= 8; size++) {
            for (long i = 0; i < size; i++) {
                InclusionProof p = LOG.inclusionProof(i, size);
                RootedInclusionProof back = ProofCodec.parseInclusion(ProofCodec.toJson(p, LOG.rootAt(size), enc), enc);
                assertThat(back).isEqualTo(new RootedInclusionProof(p, LOG.rootAt(size)));
            }
            for (long m = 0; m <= size; m++) {
                ConsistencyProof p = LOG.consistencyProof(m, size);
                String json = ProofCodec.toJson(p, LOG.rootAt(m), LOG.rootAt(size), enc);
                assertThat(ProofCodec.parseConsistency(json, enc))
                        .isEqualTo(new RootedConsistencyProof(p, LOG.rootAt(m), LOG.rootAt(size)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedJson(String name, String kind, Encoding enc, String json) {
        assertThatThrownBy(() -> {
                    if (kind.equals("inclusion")) {
                        ProofCodec.parseInclusion(json, enc);
                    } else {
                        ProofCodec.parseConsistency(json, enc);
                    }
                })
                .isInstanceOf(ProofFormatException.class);
    }

    static Stream<Arguments> malformed() {
        List<Arguments> out = new ArrayList<>();
        FILE.get("malformed")
                .forEach(m -> out.add(Arguments.of(
                        m.get("name").asText(),
                        m.get("kind").asText(),
                        Encoding.valueOf(m.get("encoding").asText()),
                        m.get("json").asText())));
        return out.stream();
    }
}
