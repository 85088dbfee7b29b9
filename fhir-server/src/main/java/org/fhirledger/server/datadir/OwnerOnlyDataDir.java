package org.fhirledger.server.datadir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything under the data directory is the owner's only (directories {@code rwx------}, files {@code rw-------}):
 * the H2 database holds the records in plain text, the content store their ciphertexts, the key directories the
 * keys. Whatever umask the server was started with: the data directory and the directories the server keeps in it
 * are created (or tightened) owner-only before anything is written, so what their libraries create later with
 * looser modes (H2's files) is out of other users' reach; {@link #tighten()} then takes group and other bits off
 * everything already there. bin/run also starts the whole process tree with umask 077.
 */
public final class OwnerOnlyDataDir {

    private static final Logger log = LoggerFactory.getLogger(OwnerOnlyDataDir.class);
    /** The directories the server keeps in the data directory whatever its mode: created owner-only up front. */
    static final List<String> SUBDIRECTORIES = List.of("h2", "content", "keys");
    /**
     * Directories only some set-ups have (bin/run's chains, the dev issuer): tightened when there, never created
     * (a dev-issuer directory in production would say dev tokens were once possible).
     */
    static final List<String> OPTIONAL_SUBDIRECTORIES = List.of("chain", "public-chain", "dev-issuer");

    private static final Set<PosixFilePermission> OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private final Path dir;

    public OwnerOnlyDataDir(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    /** Creates the data directory and its subdirectories owner-only, or takes group/other bits off existing ones. */
    public void prepare() {
        try {
            createOrTighten(dir);
            for (String sub : SUBDIRECTORIES) createOrTighten(dir.resolve(sub));
            for (String sub : OPTIONAL_SUBDIRECTORIES) {
                Path d = dir.resolve(sub);
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) createOrTighten(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot make the data directory " + dir + " owner-only: " + e.getMessage(), e);
        }
    }

    /**
     * Takes group and other bits off every file and directory under the data directory (not following links), e.g.
     * H2's files, created with the process umask, and anything an older version left readable.
     */
    public void tighten() {
        if (!posix(dir) || !Files.isDirectory(dir)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    restrict(d);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isRegularFile() || attrs.isDirectory()) restrict(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE; // e.g. a temp file gone meanwhile
                }
            });
        } catch (IOException e) {
            log.warn("could not make everything under the data directory owner-only: {}", e.toString());
        }
    }

    private static void createOrTighten(Path d) throws IOException {
        if (!posix(d.getParent() == null ? d : d.getParent())) {
            Files.createDirectories(d);
            return;
        }
        if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            if (d.getParent() != null) Files.createDirectories(d.getParent());
            try {
                Files.createDirectory(
                        d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created by another process meanwhile: tightened below
            }
        }
        restrict(d);
    }

    private static void restrict(Path p) throws IOException {
        if (Files.isSymbolicLink(p)) return;
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        if (perms.stream().noneMatch(OPEN::contains)) return;
        Set<PosixFilePermission> owner = EnumSet.copyOf(perms);
        owner.removeAll(OPEN);
        try {
            Files.setPosixFilePermissions(p, owner);
        } catch (IOException e) {
            // not ours (e.g. a shared parent given as data directory): say so rather than fail the start
            log.warn(
                    "{} is accessible to other users ({}) and could not be made owner-only: {}",
                    p,
                    PosixFilePermissions.toString(perms),
                    e.toString());
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
