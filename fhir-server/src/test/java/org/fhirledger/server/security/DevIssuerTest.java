package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.dev.DevLedgerKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevIssuerTest {

    @TempDir
    Path dataDir;

    @Test
    void createdOwnerOnlyOnceAndReloadedUnchanged() throws IOException {
        DevIssuer first = DevIssuer.loadOrCreate(dataDir);
        Path dir = DevIssuer.directory(dataDir);
        assertThat(perms(dir)).isEqualTo("rwx------");
        assertThat(perms(dir.resolve(DevIssuer.SIGNING_KEY_FILE))).isEqualTo("rw-------");
        assertThat(perms(dir.resolve(DevIssuer.ADDRESS_SECRET_FILE))).isEqualTo("rw-------");
        assertThat(first.verificationKey().isPrivate()).isFalse();

        DevIssuer again = DevIssuer.loadOrCreate(dataDir);
        assertThat(again.verificationKey()).isEqualTo(first.verificationKey());
        assertThat(again.addressSecret()).isEqualTo(first.addressSecret());
        assertThat(DevLedgerKeys.address(again.addressSecret(), Role.PATIENT, "Patient/1"))
                .isEqualTo(DevLedgerKeys.address(first.addressSecret(), Role.PATIENT, "Patient/1"));
    }

    @Test
    void anotherDataDirectoryGetsOtherKeysAndAddresses(@TempDir Path other) {
        DevIssuer a = DevIssuer.loadOrCreate(dataDir);
        DevIssuer b = DevIssuer.loadOrCreate(other);
        assertThat(a.verificationKey()).isNotEqualTo(b.verificationKey());
        assertThat(DevLedgerKeys.address(a.addressSecret(), Role.CLINICIAN, null))
                .isNotEqualTo(DevLedgerKeys.address(b.addressSecret(), Role.CLINICIAN, null));
    }

    @Test
    void refusesAKeyOthersCanRead() throws IOException {
        DevIssuer.loadOrCreate(dataDir);
        Path key = DevIssuer.directory(dataDir).resolve(DevIssuer.SIGNING_KEY_FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> DevIssuer.loadOrCreate(dataDir))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("accessible to other users")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void refusesADirectoryOthersCanList() throws IOException {
        DevIssuer.loadOrCreate(dataDir);
        Files.setPosixFilePermissions(DevIssuer.directory(dataDir), PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> DevIssuer.load(dataDir)).hasMessageContaining("chmod 700");
    }

    @Test
    void loadWithoutAServerStartSaysWhatToDo() {
        assertThatThrownBy(() -> DevIssuer.load(dataDir))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("start the server once in dev mode");
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
