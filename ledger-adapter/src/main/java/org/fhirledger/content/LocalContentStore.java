package org.fhirledger.content;

import org.fhirledger.files.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
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
            Files.createDirectories(objects);
            Files.createDirectories(pins);
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
        try {
            // An existing object is trusted only if it holds exactly these bytes; a damaged one is replaced.
            if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
                writeAtomically(target, content);
                LOG.debug("stored {} ({} bytes)", cid, content.length);
            }
            pinMarker(cid);
        } catch (IOException e) {
            throw new ContentStoreException("cannot store " + cid + " under " + objects + ": " + e.getMessage(), e);
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
        if (!has(cid)) {
            throw new ContentNotFoundException(cid, "cannot pin, no object in " + objects);
        }
        try {
            pinMarker(cid);
        } catch (IOException e) {
            throw new ContentStoreException("cannot pin " + cid + ": " + e.getMessage(), e);
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
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(objects)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        String name = file.getFileName().toString();
                        // Dot files are temp files of puts in progress, not objects.
                        if (!name.startsWith(".") && !Files.exists(pins.resolve(name)) && Files.deleteIfExists(file)) {
                            removed++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("garbage collection of " + objects + " failed", e);
        }
        return removed;
    }

    Path objectPath(Cid cid) {
        String name = cid.toString();
        // Shard on the last characters: the first ones are the same multibase/version/codec prefix for all.
        return objects.resolve(name.substring(name.length() - 2)).resolve(name);
    }

    private void pinMarker(Cid cid) throws IOException {
        try {
            Files.createFile(pins.resolve(cid.toString()));
        } catch (FileAlreadyExistsException e) {
            // already pinned
        }
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Files.createDirectories(target.getParent());
        DurableFiles.writeAtomically(target, content);
    }
}
