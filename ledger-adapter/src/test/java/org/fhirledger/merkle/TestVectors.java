package org.fhirledger.merkle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.fhirledger.bytes.Bytes32;

/** Reads the JSON vector files under src/test/resources/merkle/. */
final class TestVectors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestVectors() {}

    static String text(String name) {
        try (InputStream in = TestVectors.class.getResourceAsStream("/merkle/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource merkle/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String name) {
        try {
            return JSON.readTree(text(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<byte[]> entries(JsonNode file) {
        List<byte[]> out = new ArrayList<>();
        file.get("leaves").forEach(l -> out.add(HexFormat.of().parseHex(l.asText())));
        return out;
    }

    static MerkleLog logOf(JsonNode file) {
        MerkleLog log = MerkleLog.inMemory();
        entries(file).forEach(log::appendEntry);
        return log;
    }

    static List<Bytes32> hashes(JsonNode array) {
        List<Bytes32> out = new ArrayList<>();
        array.forEach(h -> out.add(Bytes32.fromHex(h.asText())));
        return out;
    }

    static InclusionCase inclusion(JsonNode c) {
        return new InclusionCase(
                c.get("name").asText(),
                Bytes32.fromHex(c.get("leafHash").asText()),
                c.get("leafIndex").asLong(),
                c.get("treeSize").asLong(),
                hashes(c.get("hashes")),
                Bytes32.fromHex(c.get("rootHash").asText()));
    }

    static ConsistencyCase consistency(JsonNode c) {
        return new ConsistencyCase(
                c.get("name").asText(),
                c.get("size1").asLong(),
                c.get("size2").asLong(),
                Bytes32.fromHex(c.get("root1").asText()),
                Bytes32.fromHex(c.get("root2").asText()),
                hashes(c.get("hashes")));
    }
}
