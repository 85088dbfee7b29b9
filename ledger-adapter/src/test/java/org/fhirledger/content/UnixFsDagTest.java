package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Root CIDs recorded from a live js-ipfs node (see the vector file), reproduced without a node. */
class UnixFsDagTest {

    record Vector(int size, int chunkSize, int cidVersion, String cid) {
        @Override
        public String toString() {
            return size + " B, chunk " + chunkSize + ", CIDv" + cidVersion;
        }
    }

    static List<Vector> vectors() throws IOException {
        try (InputStream in = UnixFsDagTest.class.getResourceAsStream("/content/unixfs-vectors.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Vector> vectors = new ArrayList<>();
            for (JsonNode v : root.get("vectors")) {
                vectors.add(new Vector(
                        v.get("size").asInt(),
                        v.get("chunkSize").asInt(),
                        v.get("cidVersion").asInt(),
                        v.get("cid").asText()));
            }
            return vectors;
        }
    }

    static byte[] pattern(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i % 251);
        }
        return data;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void reproducesTheNodesRootCid(Vector v) {
        DagLayout layout = new DagLayout(v.chunkSize(), DagLayout.DEFAULT_MAX_LINKS, v.cidVersion());
        assertThat(UnixFsDag.rootCid(pattern(v.size()), layout)).isEqualTo(Cid.parse(v.cid()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void oneByteMoreOrLessGivesAnotherCid(Vector v) {
        DagLayout layout = new DagLayout(v.chunkSize(), DagLayout.DEFAULT_MAX_LINKS, v.cidVersion());
        byte[] data = pattern(v.size() + 1);
        data[data.length - 1] ^= 0x01;
        assertThat(UnixFsDag.rootCid(data, layout)).isNotEqualTo(Cid.parse(v.cid()));
        if (v.size() > 0) {
            byte[] flipped = pattern(v.size());
            flipped[v.size() / 2] ^= (byte) 0x80;
            assertThat(UnixFsDag.rootCid(flipped, layout)).isNotEqualTo(Cid.parse(v.cid()));
        }
    }
}
