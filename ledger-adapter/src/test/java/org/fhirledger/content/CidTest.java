package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CidTest {

    static JsonNode vectors() throws IOException {
        try (InputStream in = CidTest.class.getResourceAsStream("/content/cid-vectors.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static List<JsonNode> valid() throws IOException {
        List<JsonNode> list = new ArrayList<>();
        vectors().get("valid").forEach(list::add);
        return list;
    }

    static List<JsonNode> invalid() throws IOException {
        List<JsonNode> list = new ArrayList<>();
        vectors().get("invalid").forEach(list::add);
        return list;
    }

    @ParameterizedTest
    @MethodSource("valid")
    void everySpellingParsesToTheSameCidWithBase32AsCanonicalForm(JsonNode v) {
        byte[] digest = HexFormat.of().parseHex(v.get("digest").asText());
        Cid expected = Cid.v1(v.get("codec").asInt(), digest);
        Cid fromBase32 = Cid.parse(v.get("base32").asText());
        Cid fromBase58 = Cid.parse(v.get("base58btc").asText());

        assertThat(fromBase32).isEqualTo(expected).isEqualTo(fromBase58);
        assertThat(fromBase58.toString()).isEqualTo(v.get("base32").asText());
        assertThat(fromBase32.toBase58()).isEqualTo(v.get("base58btc").asText());
        assertThat(Cid.parse(v.get("base32").asText().toUpperCase())).isEqualTo(expected);
        assertThat(Cid.fromBytes(expected.toBytes())).isEqualTo(expected);
        if (!v.get("v0").isNull()) {
            Cid v0 = Cid.parse(v.get("v0").asText());
            assertThat(v0.version()).isZero();
            assertThat(v0.toString()).isEqualTo(v.get("v0").asText());
            assertThat(v0).isNotEqualTo(expected);
            assertThat(v0.toV1()).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @MethodSource("valid")
    void aFlippedDigestBitIsAnotherCid(JsonNode v) {
        byte[] digest = HexFormat.of().parseHex(v.get("digest").asText());
        digest[31] ^= 0x01;
        assertThat(Cid.v1(v.get("codec").asInt(), digest))
                .isNotEqualTo(Cid.parse(v.get("base32").asText()));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void malformedCidsAreRejected(JsonNode v) {
        assertThatThrownBy(() -> Cid.parse(v.get("text").asText()))
                .as(v.get("why").asText())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
