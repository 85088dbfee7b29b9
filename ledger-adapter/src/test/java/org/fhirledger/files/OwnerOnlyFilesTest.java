package org.fhirledger.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyFilesTest {
    @TempDir
    Path dir;

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void createsOwnerOnlyDirectoriesAndFilesAndNeverReplacesOnCreateIfAbsent() throws IOException {
        Path secrets = dir.resolve("a/secrets");
        OwnerOnlyFiles.createDirectory(secrets);
        OwnerOnlyFiles.createDirectory(secrets); // exists: only checked
        assertThat(perms(secrets)).isEqualTo("rwx------");

        Path key = secrets.resolve("key");
        assertThat(OwnerOnlyFiles.createIfAbsent(key, new byte[] {1})).isTrue();
        assertThat(OwnerOnlyFiles.createIfAbsent(key, new byte[] {2})).isFalse();
        assertThat(OwnerOnlyFiles.read(key)).containsExactly(1);
        assertThat(perms(key)).isEqualTo("rw-------");

        OwnerOnlyFiles.write(key, new byte[] {3, 4});
        assertThat(OwnerOnlyFiles.read(key)).containsExactly(3, 4);
        assertThat(perms(key)).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(secrets)) {
            assertThat(files).containsExactly(key);
        }
    }

    @Test
    void loosenedPermissionsAreRefusedWithPathPermissionsAndFix() throws IOException {
        Path secrets = dir.resolve("secrets");
        OwnerOnlyFiles.createDirectory(secrets);
        Path key = secrets.resolve("key");
        OwnerOnlyFiles.write(key, new byte[] {1});

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> OwnerOnlyFiles.read(key))
                .isInstanceOf(OwnerOnlyFiles.NotOwnerOnlyException.class)
                .hasMessageContaining(key.toString())
                .hasMessageContaining("rw-r-----")
                .hasMessageContaining("accessible to other users")
                .hasMessageContaining("chmod 600");

        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwx---r-x"));
        assertThatThrownBy(() -> OwnerOnlyFiles.createDirectory(secrets))
                .isInstanceOf(OwnerOnlyFiles.NotOwnerOnlyException.class)
                .hasMessageContaining("chmod 700");
    }
}
