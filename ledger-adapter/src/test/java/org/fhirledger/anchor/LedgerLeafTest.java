package org.fhirledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The leaf layout against vectors computed by an independent script, and every field mutation rejected. */
class LedgerLeafTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode vectors() throws Exception {
        try (InputStream in = LedgerLeafTest.class.getResourceAsStream("ledger-leaf-vectors.json")) {
            return JSON.readTree(in);
        }
    }

    static Stream<Arguments> cases() throws Exception {
        return Stream.of(vectors().get("cases"))
                .flatMap(a -> java.util.stream.StreamSupport.stream(a.spliterator(), false))
                .map(c -> Arguments.of(c.get("name").asText(), c));
    }

    static Stream<Arguments> negatives() throws Exception {
        JsonNode v = vectors();
        return java.util.stream.StreamSupport.stream(v.get("negatives").spliterator(), false)
                .map(n -> {
                    JsonNode c = null;
                    for (JsonNode x : v.get("cases"))
                        if (x.get("name").asText().equals(n.get("case").asText())) c = x;
                    ObjectNode fields = ((ObjectNode) c.get("fields")).deepCopy();
                    fields.set(n.get("field").asText(), n.get("value"));
                    return Arguments.of(
                            n.get("case").asText() + " / " + n.get("field").asText(),
                            c.get("lane").asText(),
                            fields,
                            n.get("mustNotEqual").asText());
                });
    }

    static byte[] encode(String lane, JsonNode f) {
        if (lane.equals("record")) {
            return LedgerLeaf.record(
                    f.get("seq").asLong(),
                    b32(f, "resource"),
                    f.get("version").asLong(),
                    b32(f, "patient"),
                    b32(f, "contentHash"),
                    HexFormat.of().parseHex(f.get("cid").asText()),
                    f.get("custodian").asText());
        }
        return LedgerLeaf.access(
                f.get("seq").asLong(),
                b32(f, "patient"),
                b32(f, "resource"),
                f.get("actor").asText(),
                f.get("action").asInt(),
                f.get("outcome").asInt(),
                f.get("time").asLong(),
                b32(f, "auditHash"));
    }

    private static Bytes32 b32(JsonNode f, String name) {
        return Bytes32.fromHex(f.get(name).asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void encodesAsTheVector(String name, JsonNode c) {
        byte[] bytes = encode(c.get("lane").asText(), c.get("fields"));
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(c.get("entryHex").asText());
        assertThat(LedgerLeaf.leafHash(bytes))
                .isEqualTo(Bytes32.fromHex(c.get("leafHash").asText()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("negatives")
    void aMutatedFieldGivesAnotherLeaf(String name, String lane, JsonNode fields, String mustNotEqual) {
        assertThat(LedgerLeaf.leafHash(encode(lane, fields))).isNotEqualTo(Bytes32.fromHex(mustNotEqual));
    }

    @Test
    void eventsEncodeTheirFieldsAndAddressesInOneCase() {
        ChainPosition at = new ChainPosition(5, "0xab", 2, "0xcd");
        Bytes32 r = Bytes32.of(new byte[32]);
        RecordAppended lower = new RecordAppended(
                at,
                1,
                Bytes32.fromHex("0x" + "11".repeat(32)),
                1,
                r,
                Bytes32.fromHex("0x" + "22".repeat(32)),
                new byte[] {1},
                "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266");
        RecordAppended upper = new RecordAppended(
                new ChainPosition(9, "0xef", 0, "0x01"),
                1,
                Bytes32.fromHex("0x" + "11".repeat(32)),
                1,
                r,
                Bytes32.fromHex("0x" + "22".repeat(32)),
                new byte[] {1},
                "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assertThat(lower.leafHash())
                .as("the chain position is not part of the leaf")
                .isEqualTo(upper.leafHash());
        assertThat(lower.leafBytes()).hasSize(LedgerLeaf.RECORD_FIXED_SIZE + 1);
        assertThatThrownBy(() -> LedgerLeaf.access(0, r, r, "0x12", 0, 0, 0, r))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LedgerLeaf.access(0, r, r, upper.custodian(), 256, 0, 0, r))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
