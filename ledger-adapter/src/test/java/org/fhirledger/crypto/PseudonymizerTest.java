package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PseudonymizerTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dataDir;

    static JsonNode file() throws IOException {
        try (InputStream in = PseudonymizerTest.class.getResourceAsStream("/crypto/hmac-sha256-vectors.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static List<JsonNode> hmacVectors() throws IOException {
        List<JsonNode> list = new ArrayList<>();
        file().get("hmacSha256").forEach(list::add);
        return list;
    }

    static List<JsonNode> pseudonymVectors() throws IOException {
        List<JsonNode> list = new ArrayList<>();
        file().get("pseudonyms").get("vectors").forEach(list::add);
        return list;
    }

    @ParameterizedTest
    @MethodSource("hmacVectors")
    void rfc4231(JsonNode v) {
        byte[] key = HEX.parseHex(v.get("key").asText());
        byte[] data = HEX.parseHex(v.get("data").asText());
        byte[] expected = HEX.parseHex(v.get("mac").asText());

        assertThat(Pseudonymizer.fromSecret(key).mac(data)).isEqualTo(expected);

        byte[] otherKey = key.clone();
        otherKey[key.length - 1] ^= 0x01;
        assertThat(Pseudonymizer.fromSecret(otherKey).mac(data)).isNotEqualTo(expected);
        byte[] otherData = data.clone();
        otherData[0] ^= 0x01;
        assertThat(Pseudonymizer.fromSecret(key).mac(otherData)).isNotEqualTo(expected);
        byte[] otherExpected = expected.clone();
        otherExpected[31] ^= 0x01;
        assertThat(Pseudonymizer.fromSecret(key).mac(data)).isNotEqualTo(otherExpected);
    }

    @ParameterizedTest
    @MethodSource("pseudonymVectors")
    void pseudonymsOfIdentities(JsonNode v) throws IOException {
        byte[] secret = HEX.parseHex(file().get("pseudonyms").get("secret").asText());
        String identity = v.get("identity").asText();
        Pseudonymizer pseudonymizer = Pseudonymizer.fromSecret(secret);

        assertThat(pseudonymizer.pseudonym(identity)).hasSize(32);
        assertThat(pseudonymizer.pseudonymHex(identity))
                .isEqualTo(v.get("pseudonym").asText());

        byte[] otherSecret = secret.clone();
        otherSecret[0] ^= 0x01;
        assertThat(Pseudonymizer.fromSecret(otherSecret).pseudonymHex(identity))
                .isNotEqualTo(v.get("pseudonym").asText());
        assertThat(pseudonymizer.pseudonymHex(identity + "0"))
                .isNotEqualTo(v.get("pseudonym").asText());
    }

    @Test
    void secretFileIsCreatedOwnerOnlyAndStable() throws IOException {
        String first = Pseudonymizer.fromDataDir(dataDir).pseudonymHex("Patient/123");
        Path secret = dataDir.resolve("keys/" + Pseudonymizer.SECRET_FILE);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
                .isEqualTo("rw-------");
        assertThat(Pseudonymizer.fromDataDir(dataDir).pseudonymHex("Patient/123"))
                .isEqualTo(first);
        assertThat(Pseudonymizer.fromDataDir(dataDir.resolve("other")).pseudonymHex("Patient/123"))
                .as("another server secret")
                .isNotEqualTo(first);
        assertThat(Files.readString(secret)).doesNotContain("Patient");
    }

    @Test
    void aSecretReadableByOthersIsRefused() throws IOException {
        Pseudonymizer.fromDataDir(dataDir);
        Path secret = dataDir.resolve("keys/" + Pseudonymizer.SECRET_FILE);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-rw-r--"));
        assertThatThrownBy(() -> Pseudonymizer.fromDataDir(dataDir))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("rw-rw-r--");
    }

    @Test
    void weakSecretsAndEmptyIdentitiesAreRejected() {
        assertThatThrownBy(() -> Pseudonymizer.fromSecret(new byte[15])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> Pseudonymizer.fromSecret(new byte[32]).pseudonym(""))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
