package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileKeyVaultTest {
    @TempDir
    Path dataDir;

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void firstRunCreatesOwnerOnlyKeyFiles() throws IOException {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        Path kekDir = dataDir.resolve("keys/kek");

        assertThat(perms(dataDir.resolve("keys"))).isEqualTo("rwx------");
        assertThat(perms(kekDir)).isEqualTo("rwx------");
        assertThat(perms(kekDir.resolve(vault.currentKekId() + ".json"))).isEqualTo("rw-------");
        assertThat(perms(kekDir.resolve("current"))).isEqualTo("rw-------");
        assertThat(vault.kekIds()).containsExactly(vault.currentKekId());
        assertThat(FileKeyVault.open(dataDir).currentKekId())
                .as("reopen keeps the KEK")
                .isEqualTo(vault.currentKekId());
    }

    @Test
    void aKeyFileReadableByOthersIsRefused() throws IOException {
        String kekId = FileKeyVault.open(dataDir).currentKekId();
        Path kek = dataDir.resolve("keys/kek/" + kekId + ".json");
        Files.setPosixFilePermissions(kek, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> FileKeyVault.open(dataDir))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining(kek.toString())
                .hasMessageContaining("rw-r--r--");
    }

    @Test
    void aKeyDirectoryOpenToTheGroupIsRefused() throws IOException {
        FileKeyVault.open(dataDir);
        Files.setPosixFilePermissions(dataDir.resolve("keys/kek"), PosixFilePermissions.fromString("rwxr-x---"));
        assertThatThrownBy(() -> FileKeyVault.open(dataDir))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("rwxr-x---");
    }

    @Test
    void wrapBindsTheAssociatedDataAndDetectsTampering() {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        String kek = vault.currentKekId();
        byte[] key = "a data keyset, really".getBytes();
        byte[] wrapped = vault.wrap(kek, key, "p1".getBytes());

        assertThat(vault.unwrap(kek, wrapped, "p1".getBytes())).isEqualTo(key);
        assertThatThrownBy(() -> vault.unwrap(kek, wrapped, "p2".getBytes())).isInstanceOf(KeyVaultException.class);
        byte[] tampered = wrapped.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThatThrownBy(() -> vault.unwrap(kek, tampered, "p1".getBytes())).isInstanceOf(KeyVaultException.class);
        assertThatThrownBy(() -> vault.unwrap("kek-0000000000000000", wrapped, "p1".getBytes()))
                .isInstanceOf(KeyVaultException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> vault.wrap("../../etc/passwd", key, new byte[0]))
                .isInstanceOf(KeyVaultException.class);
    }

    @Test
    void rotationKeepsOldKeksUntilRetiredAndTheCurrentOneCannotBeRetired() {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        String old = vault.currentKekId();
        byte[] wrappedUnderOld = vault.wrap(old, new byte[] {1, 2, 3}, new byte[0]);

        String next = vault.rotate();
        assertThat(next).isNotEqualTo(old);
        assertThat(vault.currentKekId()).isEqualTo(next);
        assertThat(vault.unwrap(old, wrappedUnderOld, new byte[0])).containsExactly(1, 2, 3);

        assertThatThrownBy(() -> vault.retire(next)).isInstanceOf(KeyVaultException.class);
        vault.retire(old);
        assertThat(vault.kekIds()).containsExactly(next);
        assertThatThrownBy(() -> vault.unwrap(old, wrappedUnderOld, new byte[0]))
                .isInstanceOf(KeyVaultException.class);
    }
}
