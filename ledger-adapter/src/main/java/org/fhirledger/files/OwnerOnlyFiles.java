package org.fhirledger.files;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Secret files (key material, signing keys) readable by their owner only: directories {@code rwx------}, files
 * {@code rw-------}. Permissions hold from creation (a temp file is created with them before any byte goes in),
 * writes are crash-safe through {@link DurableFiles}, and every read checks them: a file or directory that group
 * or others can access is refused with {@link NotOwnerOnlyException} naming the path and its permissions.
 * On file systems without POSIX permissions the permission parts are skipped.
 */
public final class OwnerOnlyFiles {
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    /** A secret whose permissions let group or others access it: someone loosened them, or a umask leaked. */
    public static final class NotOwnerOnlyException extends IOException {
        NotOwnerOnlyException(String message) {
            super(message);
        }
    }

    private OwnerOnlyFiles() {}

    /** Creates the directory (and missing parents, as usual) {@code rwx------} unless it exists; then checks it. */
    public static void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try {
                if (posix(dir)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
                    // The umask applies to the creation mode; set the bits explicitly.
                    Files.setPosixFilePermissions(dir, DIR);
                } else {
                    Files.createDirectory(dir);
                }
                DurableFiles.forceDirectory(parent);
            } catch (FileAlreadyExistsException raced) {
                // another thread or process created it first: checked below
            }
        }
        requireOwnerOnly(dir, DIR);
    }

    /** Creates or replaces {@code target} atomically and durably, owner-only before the first byte is written. */
    public static void write(Path target, byte[] content) throws IOException {
        DurableFiles.writeAtomically(target, content, fileAttributes(target));
    }

    /**
     * Creates {@code target} owner-only and durably unless it exists; never replaces it, also against concurrent
     * creators in other processes (a secret generated twice must not change under a reader).
     *
     * @return true if this call created it, false if it existed
     */
    public static boolean createIfAbsent(Path target, byte[] content) throws IOException {
        return DurableFiles.createIfAbsent(target, content, fileAttributes(target));
    }

    /** Reads a secret file after checking that only its owner can access it. */
    public static byte[] read(Path file) throws IOException {
        requireOwnerOnly(file, FILE);
        return Files.readAllBytes(file);
    }

    /**
     * Refuses a path that group or others can access.
     *
     * @param expected {@link #DIR} or {@link #FILE}, for the message
     * @throws NotOwnerOnlyException naming the path, its permissions and the fix
     */
    public static void requireOwnerOnly(Path path, Set<PosixFilePermission> expected) throws IOException {
        if (!posix(path)) {
            return;
        }
        Set<PosixFilePermission> actual = Files.getPosixFilePermissions(path);
        for (PosixFilePermission perm : actual) {
            if (perm.name().startsWith("GROUP_") || perm.name().startsWith("OTHERS_")) {
                throw new NotOwnerOnlyException("refusing " + path + ": permissions are "
                        + PosixFilePermissions.toString(actual) + ", accessible to other users; it holds a secret and "
                        + "must be " + PosixFilePermissions.toString(expected) + " (owner only, chmod "
                        + (expected.equals(DIR) ? "700" : "600") + ")");
            }
        }
    }

    private static FileAttribute<?>[] fileAttributes(Path target) {
        return posix(target)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
                : new FileAttribute<?>[0];
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
