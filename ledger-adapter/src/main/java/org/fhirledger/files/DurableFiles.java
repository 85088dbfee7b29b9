package org.fhirledger.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;

/**
 * Writes that survive a crash whole or not at all: content stores and key files both depend on it (a key file
 * left empty by a crash would make every ciphertext under it unreadable).
 */
public final class DurableFiles {

    private DurableFiles() {}

    /**
     * Replaces {@code target} with {@code content}: the bytes go to a temp file beside it (created with
     * {@code tempAttributes}, so permissions hold before the first byte is written), are forced to disk,
     * and the temp file is renamed into place; then the directory is forced so the rename itself is durable.
     * Readers see the old file or the new one, never a partial one.
     */
    public static void writeAtomically(Path target, byte[] content, FileAttribute<?>... tempAttributes)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = forcedTempFile(dir, content, tempAttributes);
        try {
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Creates {@code target} with {@code content} unless it exists, never replacing it; durable when this returns
     * either way. The bytes go to a temp file beside it (created with {@code tempAttributes}), are forced to disk,
     * and the temp file is hard-linked to {@code target}: the link fails if {@code target} exists, so concurrent
     * creators (threads or processes) never overwrite each other, and a reader sees no file or a whole one. The
     * directory is then forced, also when the file already existed, since another creator may not have forced it
     * yet. Where hard links are not supported, falls back to a non-replacing move (not atomic against a
     * concurrent creator).
     *
     * @return true if this call created the file, false if it existed
     */
    public static boolean createIfAbsent(Path target, byte[] content, FileAttribute<?>... tempAttributes)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            forceDirectory(dir);
            return false;
        }
        Path temp = forcedTempFile(dir, content, tempAttributes);
        try {
            boolean created;
            try {
                Files.createLink(target, temp);
                created = true;
            } catch (FileAlreadyExistsException e) {
                created = false;
            } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
                if (noHardLinks instanceof FileSystemException && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    created = false;
                } else {
                    try {
                        Files.move(temp, target);
                        created = true;
                    } catch (FileAlreadyExistsException e) {
                        created = false;
                    }
                }
            }
            forceDirectory(dir);
            return created;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A temp file in {@code dir} holding {@code content}, forced to disk; the caller moves or deletes it. */
    private static Path forcedTempFile(Path dir, byte[] content, FileAttribute<?>... tempAttributes)
            throws IOException {
        Path temp = Files.createTempFile(dir, ".tmp-", ".part", tempAttributes);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    /** Forces a directory's entries (creations, renames, deletions in it) to disk, where the platform allows it. */
    public static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for fsync; the rename is then as durable as they make it.
        }
    }
}
