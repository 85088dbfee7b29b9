package org.fhirledger.content;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes the root CID an IPFS node assigns to a file, without a node: fixed-size chunks, balanced DAG, UnixFS
 * file nodes in dag-pb. Only the hashes are kept, so memory stays at one chunk plus one entry per node.
 */
public final class UnixFsDag {
    private static final int UNIXFS_TYPE_FILE = 2;

    /** What a parent needs to know about a child: its CID, cumulative encoded size, and content length. */
    private record Node(Cid cid, long tsize, long fileSize) {}

    private UnixFsDag() {}

    public static Cid rootCid(byte[] content) {
        return rootCid(content, DagLayout.DEFAULT);
    }

    public static Cid rootCid(byte[] content, DagLayout layout) {
        return build(content, layout, null);
    }

    /** The CIDs of every block of the content's DAG: the leaves, then each level of parents, the root last. */
    public static List<Cid> blockCids(byte[] content, DagLayout layout) {
        List<Cid> all = new ArrayList<>();
        build(content, layout, all);
        return all;
    }

    private static Cid build(byte[] content, DagLayout layout, List<Cid> blocks) {
        List<Node> level = new ArrayList<>();
        int chunk = layout.chunkSize();
        // An empty file is one empty chunk, as both Kubo and js-ipfs chunk it.
        int offset = 0;
        do {
            int end = (int) Math.min((long) offset + chunk, content.length);
            level.add(leaf(Arrays.copyOfRange(content, offset, end), layout.cidVersion()));
            offset = end;
        } while (offset < content.length);

        // A single leaf is its own root; otherwise group maxLinks at a time until one node is left.
        while (level.size() > 1) {
            List<Node> parents = new ArrayList<>((level.size() + layout.maxLinks() - 1) / layout.maxLinks());
            for (int i = 0; i < level.size(); i += layout.maxLinks()) {
                parents.add(parent(
                        level.subList(i, Math.min(i + layout.maxLinks(), level.size())), layout.cidVersion()));
            }
            if (blocks != null) level.forEach(n -> blocks.add(n.cid()));
            level = parents;
        }
        if (blocks != null) level.forEach(n -> blocks.add(n.cid()));
        return level.get(0).cid();
    }

    private static Node leaf(byte[] chunk, int cidVersion) {
        if (cidVersion == 1) {
            return new Node(Cid.ofBlock(Cid.RAW, chunk), chunk.length, chunk.length);
        }
        byte[] block = encodeNode(List.of(), unixFsFile(chunk, chunk.length, List.of()));
        return new Node(Cid.v0(Cid.sha256(block)), block.length, chunk.length);
    }

    private static Node parent(List<Node> children, int cidVersion) {
        long fileSize = 0;
        long childTsize = 0;
        List<Long> blockSizes = new ArrayList<>(children.size());
        for (Node child : children) {
            fileSize += child.fileSize();
            childTsize += child.tsize();
            blockSizes.add(child.fileSize());
        }
        byte[] block = encodeNode(children, unixFsFile(null, fileSize, blockSizes));
        byte[] digest = Cid.sha256(block);
        Cid cid = cidVersion == 1 ? Cid.v1(Cid.DAG_PB, digest) : Cid.v0(digest);
        return new Node(cid, block.length + childTsize, fileSize);
    }

    /** UnixFS Data message: Type=File(1), Data(2), filesize(3), blocksizes(4, repeated, not packed). */
    private static byte[] unixFsFile(byte[] data, long fileSize, List<Long> blockSizes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x08);
        Varint.write(out, UNIXFS_TYPE_FILE);
        if (data != null && data.length > 0) {
            out.write(0x12);
            Varint.write(out, data.length);
            out.writeBytes(data);
        }
        out.write(0x18);
        Varint.write(out, fileSize);
        for (long size : blockSizes) {
            out.write(0x20);
            Varint.write(out, size);
        }
        return out.toByteArray();
    }

    /** dag-pb PBNode in canonical order: Links (field 2) first, then Data (field 1). Links carry an empty Name. */
    private static byte[] encodeNode(List<Node> links, byte[] unixFs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Node link : links) {
            byte[] hash = link.cid().toBytes();
            ByteArrayOutputStream pbLink = new ByteArrayOutputStream(hash.length + 16);
            pbLink.write(0x0a);
            Varint.write(pbLink, hash.length);
            pbLink.writeBytes(hash);
            pbLink.write(0x12);
            pbLink.write(0x00);
            pbLink.write(0x18);
            Varint.write(pbLink, link.tsize());
            out.write(0x12);
            Varint.write(out, pbLink.size());
            out.writeBytes(pbLink.toByteArray());
        }
        out.write(0x0a);
        Varint.write(out, unixFs.length);
        out.writeBytes(unixFs);
        return out.toByteArray();
    }
}
