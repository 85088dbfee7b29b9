package org.fhirledger.bytes;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Exactly 32 bytes: a pseudonym (keyed hash), a SHA-256 content or audit hash, or a Merkle leaf, node or root hash.
 * Never an identifier. A value type rather than {@code byte[]} so hashes compare by content and cannot be mutated;
 * it lives in a package of its own so the ledger ports and the standalone Merkle verifier share it without depending
 * on each other.
 */
public final class Bytes32 {

    /** Size of the value, in bytes. */
    public static final int SIZE = 32;

    public static final Bytes32 ZERO = new Bytes32(new byte[SIZE]);

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private Bytes32(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}, which must be exactly {@link #SIZE} long. */
    public static Bytes32 of(byte[] bytes) {
        if (bytes == null || bytes.length != SIZE) {
            throw new IllegalArgumentException(
                    "expected " + SIZE + " bytes, got " + (bytes == null ? "null" : bytes.length));
        }
        return new Bytes32(bytes.clone());
    }

    /** Parses 64 hex digits (either case), with or without a leading {@code 0x}. */
    public static Bytes32 fromHex(String hex) {
        if (hex == null) {
            throw new IllegalArgumentException("expected " + 2 * SIZE + " hex digits, got null");
        }
        String h = hex.startsWith("0x") ? hex.substring(2) : hex;
        if (h.length() != 2 * SIZE) {
            throw new IllegalArgumentException("expected " + 2 * SIZE + " hex digits, got " + h.length());
        }
        return new Bytes32(HEX.parseHex(h));
    }

    /** Parses standard Base64 (with padding) of exactly 32 bytes. */
    public static Bytes32 fromBase64(String b64) {
        if (b64 == null) {
            throw new IllegalArgumentException("a Base64 value is required, got null");
        }
        return of(Base64.getDecoder().decode(b64));
    }

    /** A copy of the 32 bytes. */
    public byte[] toArray() {
        return bytes.clone();
    }

    /** Copies the 32 bytes into {@code dest} at {@code offset}, without an intermediate copy. */
    public void copyTo(byte[] dest, int offset) {
        System.arraycopy(bytes, 0, dest, offset, SIZE);
    }

    /** Feeds the 32 bytes to {@code md}, without an intermediate copy. */
    public void updateDigest(MessageDigest md) {
        md.update(bytes);
    }

    public boolean isZero() {
        return Arrays.equals(bytes, ZERO.bytes);
    }

    /** {@code 0x} and 64 lower-case hex digits, as Ethereum tools print a {@code bytes32}. */
    public String toHex() {
        return "0x" + HEX.formatHex(bytes);
    }

    /** The 64 lower-case hex digits without a prefix, as Merkle proof files and test vectors hold them. */
    public String toHexDigits() {
        return HEX.formatHex(bytes);
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes32 b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
