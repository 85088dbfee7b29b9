package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.fhirledger.files.OwnerOnlyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The member's HPKE key file: created owner-only, the same key at every load, refused when loosened or not HPKE. */
class MemberEncryptionKeyTest {

    @TempDir
    Path dir;

    @Test
    void createdOnceOwnerOnlyAndTheSameKeyAtEveryLoad() throws Exception {
        Path file = dir.resolve("keys/member-encryption-key.json");
        MemberEncryptionKey first = MemberEncryptionKey.open(file, true);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(OwnerOnlyFiles.FILE);
        assertThat(Files.getPosixFilePermissions(file.getParent())).isEqualTo(OwnerOnlyFiles.DIR);
        MemberEncryptionKey again = MemberEncryptionKey.open(file, false);
        assertThat(again.publicKeyset()).isEqualTo(first.publicKeyset());
        byte[] context = "c".getBytes(StandardCharsets.UTF_8);
        assertThat(again.open(MemberEncryptionKey.seal(first.publicKeyset(), new byte[] {5}, context), context))
                .containsExactly(5);
        assertThat(Arrays.equals(
                        first.publicKeyset(), MemberEncryptionKey.generate().publicKeyset()))
                .isFalse();
    }

    @Test
    void aMissingFileIsNotCreatedUnlessAskedAndALoosenedOrForeignFileIsRefused() throws Exception {
        Path missing = dir.resolve("keys/none.json");
        assertThatThrownBy(() -> MemberEncryptionKey.open(missing, false))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("does not exist");
        assertThat(missing).doesNotExist();

        Path file = dir.resolve("keys/member-encryption-key.json");
        MemberEncryptionKey.open(file, true);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MemberEncryptionKey.open(file, false)).isInstanceOf(KeyVaultException.class);

        Path aead = dir.resolve("keys/aead.json");
        OwnerOnlyFiles.createIfAbsent(
                aead,
                TinkJsonProtoKeysetFormat.serializeKeyset(
                                KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM),
                                InsecureSecretKeyAccess.get())
                        .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> MemberEncryptionKey.open(aead, false))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("no HPKE keyset");
    }
}
