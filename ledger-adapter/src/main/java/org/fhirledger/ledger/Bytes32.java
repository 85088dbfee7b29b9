package org.fhirledger.ledger;

import java.util.Arrays;
import java.util.HexFormat;

/** Exactly 32 bytes: a pseudonym (keyed hash), a SHA-256 content hash or an audit hash. Never an identifier. */
public final class Bytes32 {
    public static final Bytes32 ZERO = new Bytes32(new byte[32]);

    private final byte[] bytes;

    private Bytes32(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Bytes32 of(byte[] bytes) {
        if (bytes == null || bytes.length != 32) {
            throw new IllegalArgumentException("expected 32 bytes, got " + (bytes == null ? "null" : bytes.length));
        }
        return new Bytes32(bytes.clone());
    }

    public static Bytes32 fromHex(String hex) {
        String h = hex.startsWith("0x") ? hex.substring(2) : hex;
        return of(HexFormat.of().parseHex(h));
    }

    public byte[] toArray() {
        return bytes.clone();
    }

    public boolean isZero() {
        return Arrays.equals(bytes, ZERO.bytes);
    }

    public String toHex() {
        return "0x" + HexFormat.of().formatHex(bytes);
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
