package org.fhirledger.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * RFC 6962 / RFC 9162 section 2.1.1 hashing with SHA-256.
 * The 0x00 / 0x01 prefixes keep leaf and interior hashes in separate domains, so a node can never be
 * passed off as a leaf (second-preimage defence).
 */
public final class Rfc6962 {

    static final byte LEAF_PREFIX = 0x00;
    static final byte NODE_PREFIX = 0x01;

    private static final Hash EMPTY_ROOT = Hash.wrap(newDigest().digest());

    // MessageDigest is not thread-safe and getInstance is comparatively slow: one per thread.
    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Rfc6962::newDigest);

    private Rfc6962() {}

    /** MTH({}) = SHA-256 of the empty string. */
    public static Hash emptyRoot() {
        return EMPTY_ROOT;
    }

    /** MTH({d}) = SHA-256(0x00 || d), where d are the caller's canonical entry bytes. */
    public static Hash leafHash(byte[] entry) {
        MessageDigest md = DIGEST.get();
        md.update(LEAF_PREFIX);
        md.update(entry);
        return Hash.wrap(md.digest());
    }

    /** SHA-256(0x01 || left || right). */
    public static Hash nodeHash(Hash left, Hash right) {
        MessageDigest md = DIGEST.get();
        md.update(NODE_PREFIX);
        md.update(left.raw());
        md.update(right.raw());
        return Hash.wrap(md.digest());
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
