package org.fhirledger.content;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A content identifier (CID) with a sha2-256 multihash. Parses CIDv0 ("Qm...") and CIDv1 in base32 ('b') or
 * base58btc ('z'); the canonical string form is base32 CIDv1, as Kubo prints it, so the same content has one
 * spelling whichever node answered.
 */
public final class Cid {
    /** Multicodec of a raw block (single-chunk content with raw leaves). */
    public static final int RAW = 0x55;
    /** Multicodec of a dag-pb node (UnixFS file roots). */
    public static final int DAG_PB = 0x70;
    /** Multihash code of sha2-256, the only hash IPFS uses by default and the only one we accept. */
    public static final int SHA2_256 = 0x12;

    private final int version;
    private final int codec;
    private final byte[] digest;

    private Cid(int version, int codec, byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("sha2-256 digest must be 32 bytes, got " + digest.length);
        }
        if (version == 0 && codec != DAG_PB) {
            throw new IllegalArgumentException("CIDv0 is always dag-pb");
        }
        if (codec != RAW && codec != DAG_PB) {
            throw new IllegalArgumentException("unsupported CID codec 0x" + Integer.toHexString(codec));
        }
        this.version = version;
        this.codec = codec;
        this.digest = digest.clone();
    }

    public static Cid v1(int codec, byte[] sha256Digest) {
        return new Cid(1, codec, sha256Digest);
    }

    public static Cid v0(byte[] sha256Digest) {
        return new Cid(0, DAG_PB, sha256Digest);
    }

    /** The CIDv1 (given codec) of a block: sha2-256 of its bytes. */
    public static Cid ofBlock(int codec, byte[] block) {
        return v1(codec, sha256(block));
    }

    public static Cid parse(String text) {
        Objects.requireNonNull(text, "cid");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty CID");
        }
        try {
            if (text.length() == 46 && text.startsWith("Qm")) {
                return fromMultihash(0, DAG_PB, Multibase.decodeBase58(text), 0);
            }
            byte[] bytes = switch (text.charAt(0)) {
                case 'b', 'B' -> Multibase.decodeBase32(text.substring(1));
                case 'z' -> Multibase.decodeBase58(text.substring(1));
                default -> throw new IllegalArgumentException("unsupported multibase prefix '" + text.charAt(0) + "'");
            };
            return fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid CID: '" + text + "': " + e.getMessage(), e);
        }
    }

    /** Binary CIDv1 (version varint, codec varint, multihash). */
    public static Cid fromBytes(byte[] bytes) {
        int[] pos = {0};
        long version = Varint.read(bytes, pos);
        if (version != 1) {
            throw new IllegalArgumentException("unsupported CID version " + version);
        }
        long codec = Varint.read(bytes, pos);
        if (codec > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("codec out of range");
        }
        return fromMultihash(1, (int) codec, bytes, pos[0]);
    }

    private static Cid fromMultihash(int version, int codec, byte[] bytes, int offset) {
        int[] pos = {offset};
        long hashCode = Varint.read(bytes, pos);
        long length = Varint.read(bytes, pos);
        if (hashCode != SHA2_256) {
            throw new IllegalArgumentException(
                    "unsupported multihash 0x" + Long.toHexString(hashCode) + " (only sha2-256)");
        }
        if (length != 32 || bytes.length - pos[0] != 32) {
            throw new IllegalArgumentException("sha2-256 multihash must carry exactly 32 bytes");
        }
        return new Cid(version, codec, Arrays.copyOfRange(bytes, pos[0], pos[0] + 32));
    }

    public int version() {
        return version;
    }

    public int codec() {
        return codec;
    }

    public byte[] digest() {
        return digest.clone();
    }

    public byte[] multihash() {
        byte[] mh = new byte[34];
        mh[0] = SHA2_256;
        mh[1] = 32;
        System.arraycopy(digest, 0, mh, 2, 32);
        return mh;
    }

    /** Binary form as it appears inside dag-pb links: CIDv0 is the bare multihash. */
    public byte[] toBytes() {
        if (version == 0) {
            return multihash();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(36);
        Varint.write(out, 1);
        Varint.write(out, codec);
        out.writeBytes(multihash());
        return out.toByteArray();
    }

    /** The same content as CIDv1 (CIDv0 is dag-pb, so only the version changes). */
    public Cid toV1() {
        return version == 1 ? this : new Cid(1, codec, digest);
    }

    public String toBase58() {
        return version == 0 ? Multibase.encodeBase58(toBytes()) : "z" + Multibase.encodeBase58(toBytes());
    }

    /** Canonical text: base32 for CIDv1 (Kubo's default), "Qm..." for CIDv0. */
    @Override
    public String toString() {
        return version == 0 ? toBase58() : "b" + Multibase.encodeBase32(toBytes());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cid c && c.version == version && c.codec == codec && Arrays.equals(c.digest, digest);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * version + codec) + Arrays.hashCode(digest);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JRE", e);
        }
    }
}
