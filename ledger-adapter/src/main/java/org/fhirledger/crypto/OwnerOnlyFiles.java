package org.fhirledger.crypto;

import org.fhirledger.files.DurableFiles;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Secret files: created rw------- (directories rwx------) from the start, checked on every load. */
final class OwnerOnlyFiles {
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private OwnerOnlyFiles() {
    }

    static void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            if (POSIX) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
                // createDirectories applies the umask; set the bits explicitly.
                Files.setPosixFilePermissions(dir, DIR);
            } else {
                Files.createDirectories(dir);
            }
        }
        check(dir, DIR);
    }

    /** Writes via a temp file that is owner-only before any byte goes in, then renames it into place. */
    static void write(Path target, byte[] content) throws IOException {
        if (POSIX) {
            DurableFiles.writeAtomically(target, content, PosixFilePermissions.asFileAttribute(FILE));
        } else {
            DurableFiles.writeAtomically(target, content);
        }
    }

    static byte[] read(Path file) throws IOException {
        check(file, FILE);
        return Files.readAllBytes(file);
    }

    /** Refuses a secret readable or writable by group or others: someone changed it or a umask leaked. */
    static void check(Path path, Set<PosixFilePermission> expected) throws IOException {
        if (!POSIX) {
            return;
        }
        Set<PosixFilePermission> actual = Files.getPosixFilePermissions(path);
        if (!actual.equals(expected)) {
            throw new KeyVaultException("refusing " + path + ": permissions are "
                    + PosixFilePermissions.toString(actual) + ", expected " + PosixFilePermissions.toString(expected)
                    + " (owner only)");
        }
    }
}
