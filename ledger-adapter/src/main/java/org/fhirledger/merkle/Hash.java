package org.fhirledger.merkle;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An immutable 32-byte SHA-256 value: a leaf hash, an interior node hash or a tree root.
 * A value type rather than {@code byte[]} so proofs and roots compare by content and cannot be mutated.
 */
public final class Hash {

    /** Size of every hash in the tree, in bytes. */
    public static final int SIZE = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private Hash(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}, which must be exactly {@link #SIZE} long. */
    public static Hash of(byte[] bytes) {
        if (bytes == null || bytes.length != SIZE) {
            throw new IllegalArgumentException(
                    "a hash is " + SIZE + " bytes, got " + (bytes == null ? "null" : bytes.length));
        }
        return new Hash(bytes.clone());
    }

    /** Wraps without copying; only for arrays this package created and never hands out. */
    static Hash wrap(byte[] bytes) {
        return new Hash(bytes);
    }

    /** Parses 64 hex digits (either case). */
    public static Hash fromHex(String hex) {
        if (hex == null || hex.length() != 2 * SIZE) {
            throw new IllegalArgumentException(
                    "a hash is " + 2 * SIZE + " hex digits, got " + (hex == null ? "null" : hex.length()));
        }
        return new Hash(HEX.parseHex(hex));
    }

    /** Parses standard Base64 (with padding) of exactly 32 bytes. */
    public static Hash fromBase64(String b64) {
        if (b64 == null) {
            throw new IllegalArgumentException("a Base64 hash is required, got null");
        }
        return of(Base64.getDecoder().decode(b64));
    }

    /** A copy of the 32 bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The internal array, for hashing inside this package without copying. */
    byte[] raw() {
        return bytes;
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hash h && Arrays.equals(bytes, h.bytes);
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
