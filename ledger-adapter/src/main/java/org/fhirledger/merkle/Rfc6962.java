package org.fhirledger.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.fhirledger.bytes.Bytes32;

/**
 * RFC 6962 / RFC 9162 section 2.1.1 hashing with SHA-256.
 * The 0x00 / 0x01 prefixes keep leaf and interior hashes in separate domains, so a node can never be
 * passed off as a leaf (second-preimage defence).
 */
public final class Rfc6962 {

    static final byte LEAF_PREFIX = 0x00;
    static final byte NODE_PREFIX = 0x01;

    private static final Bytes32 EMPTY_ROOT = Bytes32.of(newDigest().digest());

    // MessageDigest is not thread-safe and getInstance is comparatively slow: one per thread.
    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Rfc6962::newDigest);

    private Rfc6962() {}

    /** MTH({}) = SHA-256 of the empty string. */
    public static Bytes32 emptyRoot() {
        return EMPTY_ROOT;
    }

    /** MTH({d}) = SHA-256(0x00 || d), where d are the caller's canonical entry bytes. */
    public static Bytes32 leafHash(byte[] entry) {
        MessageDigest md = DIGEST.get();
        md.update(LEAF_PREFIX);
        md.update(entry);
        return Bytes32.of(md.digest());
    }

    /** SHA-256(0x01 || left || right). */
    public static Bytes32 nodeHash(Bytes32 left, Bytes32 right) {
        MessageDigest md = DIGEST.get();
        md.update(NODE_PREFIX);
        left.updateDigest(md);
        right.updateDigest(md);
        return Bytes32.of(md.digest());
    }

    /** The largest power of two strictly less than {@code n} (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
    static long splitPoint(long n) {
        if (n < 2) {
            throw new IllegalArgumentException("a tree of " + n + " leaves has no split point");
        }
        return Long.highestOneBit(n - 1);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every Java platform", e);
        }
    }
}
