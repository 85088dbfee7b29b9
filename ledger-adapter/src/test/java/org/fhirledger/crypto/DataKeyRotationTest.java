package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating a patient's data key: earlier envelopes still decrypt (also after a restart), new ones use the new key, and
 * a copy of the keyset released before the rotation opens only what was encrypted before it.
 */
class DataKeyRotationTest {

    @TempDir
    Path dir;

    @Test
    void aKeysetReleasedBeforeTheRotationDoesNotOpenWhatIsEncryptedAfterIt() {
        EnvelopeCipher cipher = new EnvelopeCipher(FileKeyVault.open(dir), new FileDataKeyStore(dir));
        ResourceVersion v1 = ResourceVersion.parse("Observation/1/_history/1");
        ResourceVersion v2 = ResourceVersion.parse("Observation/1/_history/2");
        byte[] before = cipher.encrypt("p1", v1, "one".getBytes(StandardCharsets.UTF_8));
        byte[] released = cipher.exportDataKey("p1");
        assertThat(EnvelopeCipher.decryptWithReleasedKey(released, v1, before))
                .asString()
                .isEqualTo("one");

        assertThat(cipher.rotateDataKey("p1")).isEqualTo(2);
        byte[] after = cipher.encrypt("p1", v2, "two".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> EnvelopeCipher.decryptWithReleasedKey(released, v2, after))
                .isInstanceOf(DecryptionException.class);
        assertThat(EnvelopeCipher.decryptWithReleasedKey(cipher.exportDataKey("p1"), v2, after))
                .asString()
                .isEqualTo("two");

        EnvelopeCipher restarted = new EnvelopeCipher(FileKeyVault.open(dir), new FileDataKeyStore(dir));
        assertThat(restarted.decrypt("p1", v1, before)).asString().isEqualTo("one");
        assertThat(restarted.decrypt("p1", v2, after)).asString().isEqualTo("two");
        // other patients are untouched, a shredded key is not revived by a rotation
        cipher.encrypt("p2", v1, "x".getBytes(StandardCharsets.UTF_8));
        cipher.shred("p2");
        assertThatThrownBy(() -> cipher.rotateDataKey("p2")).isInstanceOf(DataKeyDestroyedException.class);
        assertThatThrownBy(() -> cipher.rotateDataKey("p3")).isInstanceOf(DataKeyNotFoundException.class);
    }
}
