package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.util.SecretBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Envelopes produced outside Tink (pyca/cryptography) in the documented format decrypt through the whole
 * EnvelopeCipher path (data key wrapped by a real FileKeyVault), and every mutation of them fails.
 */
class EnvelopeVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dataDir;

    record Vector(byte[] key, int tinkKeyId, String ad, byte[] plaintext, byte[] envelope) {
        @Override
        public String toString() {
            return ad + " (" + plaintext.length + " B)";
        }
    }

    static List<Vector> vectors() throws IOException {
        try (InputStream in = EnvelopeVectorsTest.class.getResourceAsStream("/crypto/envelope-vectors.json")) {
            List<Vector> list = new ArrayList<>();
            for (JsonNode v : new ObjectMapper().readTree(in).get("vectors")) {
                list.add(new Vector(
                        HEX.parseHex(v.get("key").asText()),
                        v.get("tinkKeyId").asInt(),
                        v.get("associatedData").asText(),
                        HEX.parseHex(v.get("plaintext").asText()),
                        HEX.parseHex(v.get("envelope").asText())));
            }
            return list;
        }
    }

    /** Installs the vector's raw key as the data key of key id "vector", wrapped like any other. */
    private EnvelopeCipher cipherWith(byte[] rawKey, int tinkKeyId) throws Exception {
        com.google.crypto.tink.aead.AeadConfig.register();
        AesGcmParameters parameters = AesGcmParameters.builder()
                .setKeySizeBytes(32)
                .setIvSizeBytes(12)
                .setTagSizeBytes(16)
                .setVariant(AesGcmParameters.Variant.TINK)
                .build();
        AesGcmKey key = AesGcmKey.builder()
                .setParameters(parameters)
                .setKeyBytes(SecretBytes.copyFrom(rawKey, InsecureSecretKeyAccess.get()))
                .setIdRequirement(tinkKeyId)
                .build();
        KeysetHandle handle = KeysetHandle.newBuilder()
                .addEntry(KeysetHandle.importKey(key).makePrimary())
                .build();
        byte[] keyset = TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
        FileKeyVault vault = FileKeyVault.open(dataDir);
        FileDataKeyStore store = new FileDataKeyStore(dataDir);
        String kek = vault.currentKekId();
        store.save(new WrappedDataKey(
                "vector", kek, vault.wrap(kek, keyset, EnvelopeCipher.wrapAd("vector")), Instant.EPOCH, null));
        return new EnvelopeCipher(vault, store);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decryptsTheVector(Vector v) throws Exception {
        assertThat(cipherWith(v.key(), v.tinkKeyId()).decrypt("vector", ResourceVersion.parse(v.ad()), v.envelope()))
                .isEqualTo(v.plaintext());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void everyMutationFails(Vector v) throws Exception {
        EnvelopeCipher cipher = cipherWith(v.key(), v.tinkKeyId());
        ResourceVersion ad = ResourceVersion.parse(v.ad());
        int ivStart = 6;
        int ctStart = ivStart + 12;
        int tagStart = v.envelope().length - 16;
        // format byte, Tink prefix byte, key id, IV, first/last ciphertext byte (if any), tag
        int[] positions = {0, 1, 2, 5, ivStart, ctStart - 1, ctStart, tagStart - 1, tagStart, v.envelope().length - 1};
        for (int position : positions) {
            if (position < 0 || position >= v.envelope().length) {
                continue;
            }
            byte[] mutated = v.envelope().clone();
            mutated[position] ^= 0x80;
            assertThatThrownBy(() -> cipher.decrypt("vector", ad, mutated))
                    .as("byte %d flipped", position)
                    .isInstanceOf(DecryptionException.class);
        }
        byte[] truncated = java.util.Arrays.copyOf(v.envelope(), v.envelope().length - 1);
        assertThatThrownBy(() -> cipher.decrypt("vector", ad, truncated)).isInstanceOf(DecryptionException.class);

        ResourceVersion otherVersion = new ResourceVersion(ad.resourceType(), ad.id(), ad.versionId() + "0");
        ResourceVersion otherId = new ResourceVersion(ad.resourceType(), ad.id() + "x", ad.versionId());
        for (ResourceVersion wrong : List.of(otherVersion, otherId)) {
            assertThatThrownBy(() -> cipher.decrypt("vector", wrong, v.envelope()))
                    .as(wrong.toString())
                    .isInstanceOf(DecryptionException.class);
        }

        byte[] otherKey = v.key().clone();
        otherKey[0] ^= 0x01;
        EnvelopeCipher wrongKey = cipherWith(otherKey, v.tinkKeyId());
        assertThatThrownBy(() -> wrongKey.decrypt("vector", ad, v.envelope())).isInstanceOf(DecryptionException.class);
    }
}
