package org.fhirledger.content;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.fhirledger.files.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded content store: one file per CID under {@code <dir>/objects/<2 chars>/<cid>}, pins as marker files
 * under {@code <dir>/pins/}. CIDs are the ones an IPFS node computes for the same bytes (same {@link DagLayout}),
 * so content can later be pushed to IPFS unchanged. Writes go to a temp file that is synced and renamed, so a crash
 * never leaves a partial object under a CID; reads re-verify the CID, so a corrupted or edited file is detected.
 */
public final class LocalContentStore implements ContentStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalContentStore.class);

    private final Path objects;
    private final Path pins;
    private final long maxContentBytes;
    private final DagLayout layout;
    /**
     * put/pin hold the read lock (they run concurrently), collectGarbage the write lock: GC never runs between
     * "the object is there" and "it is pinned" of a put. Chosen over a grace period for recent objects because a
     * put that reuses an existing object does not make it recent (its mtime is old), and because it is exact and
     * does not depend on clocks. Covers one store instance per directory (one server), like Kubo's repo lock.
     */
    private final ReadWriteLock gcLock = new ReentrantReadWriteLock();
    /** Test seam: runs in collectGarbage just before an unpinned object is deleted. */
    volatile Consumer<String> beforeGcDelete = name -> {};

    public LocalContentStore(Path dir, long maxContentBytes) {
        this(dir, maxContentBytes, DagLayout.DEFAULT);
    }

    public LocalContentStore(Path dir, long maxContentBytes, DagLayout layout) {
        if (maxContentBytes < 0 || maxContentBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxContentBytes out of range: " + maxContentBytes);
        }
        this.objects = dir.resolve("objects");
        this.pins = dir.resolve("pins");
        this.maxContentBytes = maxContentBytes;
        this.layout = layout;
        try {
            ownerOnlyDirectories(objects);
            ownerOnlyDirectories(pins);
        } catch (IOException e) {
            throw new ContentStoreException("cannot create content store directory " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Cid put(byte[] content) {
        if (content.length > maxContentBytes) {
            throw new ContentTooLargeException("content", content.length, maxContentBytes);
        }
        Cid cid = UnixFsDag.rootCid(content, layout);
        Path target = objectPath(cid);
        gcLock.readLock().lock();
        try {
            // Pin first, durably: from here on no garbage collection deletes the object, even after a crash.
            pinMarker(cid);
            // An existing object is trusted only if it holds exactly these bytes; a damaged one is replaced.
            if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
                writeAtomically(target, content);
                LOG.debug("stored {} ({} bytes)", cid, content.length);
            }
        } catch (IOException e) {
            throw new ContentStoreException("cannot store " + cid + " under " + objects + ": " + e.getMessage(), e);
        } finally {
            gcLock.readLock().unlock();
        }
        return cid;
    }

    @Override
    public byte[] get(Cid cid) {
        Path path = objectPath(cid);
        byte[] content;
        try {
            long size = Files.size(path);
            if (size > maxContentBytes) {
                throw new ContentTooLargeException("stored content " + cid, size, maxContentBytes);
            }
            content = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ContentNotFoundException(cid, "no object in " + objects);
        } catch (IOException e) {
            throw new ContentStoreException("cannot read " + path + ": " + e.getMessage(), e);
        }
        ContentVerifier.verify("local store file " + path, cid, content, layout);
        return content;
    }

    @Override
    public void pin(Cid cid) {
        gcLock.readLock().lock();
        try {
            if (!has(cid)) {
                throw new ContentNotFoundException(cid, "cannot pin, no object in " + objects);
            }
            pinMarker(cid);
        } catch (IOException e) {
            throw new ContentStoreException("cannot pin " + cid + ": " + e.getMessage(), e);
        } finally {
            gcLock.readLock().unlock();
        }
    }

    @Override
    public void unpin(Cid cid) {
        try {
            Files.deleteIfExists(pins.resolve(cid.toString()));
        } catch (IOException e) {
            throw new ContentStoreException("cannot unpin " + cid + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean has(Cid cid) {
        return Files.isRegularFile(objectPath(cid));
    }

    @Override
    public boolean isPinned(Cid cid) {
        return Files.exists(pins.resolve(cid.toString()));
    }

    @Override
    public long maxContentBytes() {
        return maxContentBytes;
    }

    /** Deletes every object that is not pinned, like {@code ipfs repo gc}; returns how many were removed. */
    public int collectGarbage() {
        int removed = 0;
        gcLock.writeLock().lock();
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(objects)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        String name = file.getFileName().toString();
                        // Dot files are temp files of puts in progress, not objects.
                        if (name.startsWith(".") || Files.exists(pins.resolve(name))) {
                            continue;
                        }
                        beforeGcDelete.accept(name);
                        if (Files.deleteIfExists(file)) {
                            removed++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("garbage collection of " + objects + " failed", e);
        } finally {
            gcLock.writeLock().unlock();
        }
        return removed;
    }

    Path objectPath(Cid cid) {
        String name = cid.toString();
        // Shard on the last characters: the first ones are the same multibase/version/codec prefix for all.
        return objects.resolve(name.substring(name.length() - 2)).resolve(name);
    }

    /** Creates the pin marker unless it exists, and makes it durable (file and pins directory) either way. */
    private void pinMarker(Cid cid) throws IOException {
        DurableFiles.createIfAbsent(pins.resolve(cid.toString()), new byte[0]);
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        ownerOnlyDirectories(target.getParent());
        DurableFiles.writeAtomically(target, content); // its temp file, renamed into place, is owner-only
    }

    /** The store's directories are the owner's only, whatever the umask: they hold the records' ciphertexts. */
    private static void ownerOnlyDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }
}
