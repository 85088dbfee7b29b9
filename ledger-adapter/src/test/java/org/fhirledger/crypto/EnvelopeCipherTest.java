package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeCipherTest {
    private static final ResourceVersion P123_V1 = ResourceVersion.parse("Patient/123/_history/1");
    private static final ResourceVersion P123_V2 = ResourceVersion.parse("Patient/123/_history/2");
    private static final ResourceVersion OBS_V1 = ResourceVersion.parse("Observation/o1/_history/1");
    private static final byte[] BODY = "{\"resourceType\":\"Patient\",\"id\":\"123\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dataDir;

    private EnvelopeCipher cipher() {
        return new EnvelopeCipher(FileKeyVault.open(dataDir), new FileDataKeyStore(dataDir));
    }

    @Test
    void roundTripSurvivesARestart() {
        byte[] envelope = cipher().encrypt("p1", P123_V1, BODY);
        assertThat(envelope).isNotEqualTo(BODY);
        assertThat(new String(envelope, StandardCharsets.ISO_8859_1)).doesNotContain("Patient");
        assertThat(cipher().decrypt("p1", P123_V1, envelope)).isEqualTo(BODY);
        assertThat(cipher().encrypt("p1", P123_V1, BODY)).as("random IV").isNotEqualTo(envelope);
    }

    @Test
    void associatedDataBindsResourceAndVersion() {
        EnvelopeCipher cipher = cipher();
        byte[] v1 = cipher.encrypt("p1", P123_V1, BODY);
        byte[] obs = cipher.encrypt("p1", OBS_V1, "{}".getBytes());

        assertThatThrownBy(() -> cipher.decrypt("p1", P123_V2, v1))
                .isInstanceOf(DecryptionException.class)
                .hasMessageContaining("Patient/123/_history/2");
        // Two stored ciphertexts swapped between resources: neither decrypts as the other.
        assertThatThrownBy(() -> cipher.decrypt("p1", OBS_V1, v1)).isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> cipher.decrypt("p1", P123_V1, obs)).isInstanceOf(DecryptionException.class);
        // Another patient's key.
        cipher.encrypt("p2", P123_V1, BODY);
        assertThatThrownBy(() -> cipher.decrypt("p2", P123_V1, v1)).isInstanceOf(DecryptionException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 6, 10, 20, -17, -1})
    void anyFlippedByteIsRejected(int position) {
        EnvelopeCipher cipher = cipher();
        byte[] envelope = cipher.encrypt("p1", P123_V1, BODY);
        int index = position >= 0 ? position : envelope.length + position;
        envelope[index] ^= 0x01;
        assertThatThrownBy(() -> cipher.decrypt("p1", P123_V1, envelope)).isInstanceOf(DecryptionException.class);
    }

    @Test
    void rotationReWrapsDataKeysWithoutReEncryptingAndTheOldKekCanBeRetired() {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        FileDataKeyStore store = new FileDataKeyStore(dataDir);
        EnvelopeCipher before = new EnvelopeCipher(vault, store);
        byte[] p1 = before.encrypt("p1", P123_V1, BODY);
        byte[] server = before.encrypt(EnvelopeCipher.SERVER_KEY_ID, OBS_V1, "org".getBytes());
        String oldKek = vault.currentKekId();

        String newKek = vault.rotate();
        assertThat(before.rewrapAll()).isEqualTo(2);
        assertThat(before.rewrapAll()).as("already under the current KEK").isZero();
        assertThat(store.find("p1").orElseThrow().kekId()).isEqualTo(newKek);
        before.retireKek(oldKek);
        assertThat(vault.kekIds()).containsExactly(newKek);

        EnvelopeCipher after = new EnvelopeCipher(FileKeyVault.open(dataDir), new FileDataKeyStore(dataDir));
        assertThat(after.decrypt("p1", P123_V1, p1)).isEqualTo(BODY);
        assertThat(after.decrypt(EnvelopeCipher.SERVER_KEY_ID, OBS_V1, server)).isEqualTo("org".getBytes());
    }

    @Test
    void aKekStillWrappingALiveDataKeyCannotBeRetired() {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        EnvelopeCipher cipher = new EnvelopeCipher(vault, new FileDataKeyStore(dataDir));
        byte[] p1 = cipher.encrypt("p1", P123_V1, BODY);
        cipher.encrypt("p2", P123_V2, BODY);
        cipher.shred("p2"); // a tombstone references no KEK
        String oldKek = vault.currentKekId();
        String newKek = vault.rotate();

        assertThatThrownBy(() -> cipher.retireKek(oldKek))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining(oldKek)
                .hasMessageContaining("1 live data key")
                .hasMessageContaining("'p1'")
                .hasMessageContaining("rewrapAll");
        assertThatThrownBy(() -> cipher.retireKek(newKek))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("current");
        assertThat(vault.kekIds()).containsExactlyInAnyOrder(oldKek, newKek);
        assertThat(cipher().decrypt("p1", P123_V1, p1)).as("after a restart").isEqualTo(BODY);

        assertThat(cipher.rewrapAll()).isEqualTo(1);
        cipher.retireKek(oldKek);
        assertThat(cipher().decrypt("p1", P123_V1, p1)).isEqualTo(BODY);
    }

    @Test
    void onlyFileKeyVaultKeksAreRetiredThroughTheCipher() {
        FileKeyVault files = FileKeyVault.open(dataDir);
        KeyVault kms = new KeyVault() {
            public String currentKekId() {
                return files.currentKekId();
            }

            public byte[] wrap(String k, byte[] p, byte[] ad) {
                return files.wrap(k, p, ad);
            }

            public byte[] unwrap(String k, byte[] w, byte[] ad) {
                return files.unwrap(k, w, ad);
            }
        };
        EnvelopeCipher cipher = new EnvelopeCipher(kms, new FileDataKeyStore(dataDir));
        cipher.encrypt("p1", P123_V1, BODY);
        String kek = files.currentKekId();
        files.rotate();
        assertThat(cipher.liveKeyIdsWrappedUnder(kek)).containsExactly("p1");
        assertThatThrownBy(() -> cipher.retireKek(kek)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void cryptoShreddingOnePatientLeavesOthersReadable() {
        EnvelopeCipher cipher = cipher();
        byte[] a1 = cipher.encrypt("patient-a", P123_V1, BODY);
        byte[] a2 = cipher.encrypt("patient-a", P123_V2, BODY);
        byte[] b1 = cipher.encrypt("patient-b", OBS_V1, "b".getBytes());

        cipher.shred("patient-a");

        assertThat(cipher.isShredded("patient-a")).isTrue();
        assertThatThrownBy(() -> cipher.decrypt("patient-a", P123_V1, a1))
                .isInstanceOf(DataKeyDestroyedException.class)
                .hasMessageContaining("patient-a");
        assertThatThrownBy(() -> cipher().decrypt("patient-a", P123_V2, a2))
                .as("also after a restart")
                .isInstanceOf(DataKeyDestroyedException.class);
        assertThatThrownBy(() -> cipher.encrypt("patient-a", P123_V1, BODY))
                .as("no new key for a shredded id")
                .isInstanceOf(DataKeyDestroyedException.class);
        assertThat(new FileDataKeyStore(dataDir).find("patient-a").orElseThrow().wrapped())
                .isEmpty();
        assertThat(cipher().decrypt("patient-b", OBS_V1, b1)).isEqualTo("b".getBytes());
    }

    @Test
    void unknownKeyIdsAreReportedAsSuch() {
        EnvelopeCipher cipher = cipher();
        byte[] envelope = cipher.encrypt("p1", P123_V1, BODY);
        assertThatThrownBy(() -> cipher.decrypt("nobody", P123_V1, envelope))
                .isInstanceOf(DataKeyNotFoundException.class);
        assertThatThrownBy(() -> cipher.shred("nobody")).isInstanceOf(DataKeyNotFoundException.class);
    }

    @Test
    void aWrappedKeyCopiedToAnotherPatientDoesNotUnwrap() {
        FileDataKeyStore store = new FileDataKeyStore(dataDir);
        EnvelopeCipher cipher = cipher();
        cipher.encrypt("p1", P123_V1, BODY);
        byte[] p2 = cipher.encrypt("p2", P123_V1, BODY);
        WrappedDataKey p1Key = store.find("p1").orElseThrow();
        store.save(new WrappedDataKey("p2", p1Key.kekId(), p1Key.wrapped(), p1Key.createdAt(), null));

        assertThatThrownBy(() -> cipher().decrypt("p2", P123_V1, p2)).isInstanceOf(KeyVaultException.class);
    }

    @Test
    void dataKeyFilesAreOwnerOnly() throws IOException {
        cipher().encrypt("p1", P123_V1, BODY);
        try (Stream<Path> files = Files.list(dataDir.resolve("keys/data"))) {
            for (Path file : files.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                        .isEqualTo("rw-------");
            }
        }
    }

    @Test
    void resourceVersionsAreStrict() {
        assertThat(P123_V2.toString()).isEqualTo("Patient/123/_history/2");
        assertThat(new String(P123_V2.associatedData(), StandardCharsets.UTF_8)).isEqualTo("Patient/123/_history/2");
        for (String bad : new String[] {
            "Patient/123",
            "Patient/1/2/_history/3",
            "patient/1/_history/1",
            "Patient/1/history/1",
            "Patient//_history/1",
            "Patient/1/_history/",
            "Patient/ü/_history/1"
        }) {
            assertThatThrownBy(() -> ResourceVersion.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
