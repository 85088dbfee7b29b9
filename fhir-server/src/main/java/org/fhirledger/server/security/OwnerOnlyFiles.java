package org.fhirledger.server.security;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Secret files readable by their owner only: rwx------ directories, rw------- files. Permissions are set at
 * creation (never a moment world-readable) and checked on every load.
 */
final class OwnerOnlyFiles {

	static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
	static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

	private OwnerOnlyFiles() {}

	static void createDirectory(Path dir) throws IOException {
		if (!Files.isDirectory(dir)) {
			try {
				if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
					Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
				} else {
					Files.createDirectory(dir);
				}
			} catch (FileAlreadyExistsException raced) {
				// another process created it first: fine, checked below
			}
		}
		requireOwnerOnly(dir, DIR);
	}

	/**
	 * Writes {@code content} to {@code file} unless it exists: via a private temporary file moved into place, so
	 * a concurrent reader never sees a half-written key. @return false when the file already existed
	 */
	static boolean createFile(Path file, byte[] content) throws IOException {
		if (Files.exists(file)) {
			return false;
		}
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
		boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
		try (SeekableByteChannel ch = posix
				? Files.newByteChannel(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
						PosixFilePermissions.asFileAttribute(FILE))
				: Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
			ch.write(ByteBuffer.wrap(content));
		}
		try {
			if (posix) {
				Files.setPosixFilePermissions(tmp, FILE); // the umask may have removed bits, never added: make it exact
			}
			if (Files.exists(file)) {
				return false;
			}
			Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
			return true;
		} finally {
			Files.deleteIfExists(tmp);
		}
	}

	static byte[] read(Path file) throws IOException {
		requireOwnerOnly(file, FILE);
		return Files.readAllBytes(file);
	}

	/** Refuses a secret others can read or change: someone loosened it, and it may have been copied. */
	static void requireOwnerOnly(Path p, Set<PosixFilePermission> expected) throws IOException {
		if (!p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
			return;
		}
		Set<PosixFilePermission> actual = Files.getPosixFilePermissions(p);
		for (PosixFilePermission perm : actual) {
			if (perm.name().startsWith("GROUP_") || perm.name().startsWith("OTHERS_")) {
				throw new IOException(p + " is accessible to other users (" + PosixFilePermissions.toString(actual)
						+ "); it holds a dev issuer secret and must be " + PosixFilePermissions.toString(expected)
						+ " (chmod " + (expected.equals(DIR) ? "700" : "600") + ")");
			}
		}
	}
}
