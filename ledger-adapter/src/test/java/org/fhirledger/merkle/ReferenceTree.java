package org.fhirledger.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;

/**
 * Naive RFC 9162 §2.1 tree, straight from the definitions (MTH, PATH, PROOF, SUBPROOF) by recursion over the
 * leaves, with its own SHA-256 calls, independent of {@link Rfc6962} and {@link MerkleLog}: the oracle the
 * efficient log is checked against.
 *
 * <p>Works on leaf hashes {@code MTH({d(i)})} computed once by {@link #leafHashes}, so the recursion
 * below is over D[k1:k2] exactly as in the RFC. MTH is a pure function of the leaves, so each subtree's hash is
 * remembered by its leaves (not by position, which the definitions do not use): the sweeps over every size up to
 * 1000 hash each subtree once instead of once per proof, which took minutes of CPU.
 */
final class ReferenceTree {

    private ReferenceTree() {}

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** MTH({d}) = SHA-256(0x00 || d) for every entry. */
    static List<Bytes32> leafHashes(List<byte[]> entries) {
        List<Bytes32> out = new ArrayList<>();
        for (byte[] d : entries) {
            out.add(Bytes32.of(sha256(new byte[] {0x00}, d)));
        }
        return out;
    }

    /** Largest power of two strictly less than n, by counting up (not bit tricks, unlike the log). */
    static int k(int n) {
        int k = 1;
        while (k * 2 < n) {
            k *= 2;
        }
        return k;
    }

    private static final Map<List<Bytes32>, Bytes32> MTH_OF = new HashMap<>();

    /** MTH(D[n]). */
    static synchronized Bytes32 mth(List<Bytes32> d) {
        Bytes32 known = MTH_OF.get(d);
        if (known == null) {
            known = mthByDefinition(d);
            MTH_OF.put(List.copyOf(d), known);
        }
        return known;
    }

    private static Bytes32 mthByDefinition(List<Bytes32> d) {
        int n = d.size();
        if (n == 0) {
            return Bytes32.of(sha256());
        }
        if (n == 1) {
            return d.get(0);
        }
        int k = k(n);
        return node(mth(d.subList(0, k)), mth(d.subList(k, n)));
    }

    /** PATH(m, D[n]). */
    static List<Bytes32> path(int m, List<Bytes32> d) {
        int n = d.size();
        List<Bytes32> out = new ArrayList<>();
        if (n == 1) {
            return out;
        }
        int k = k(n);
        if (m < k) {
            out.addAll(path(m, d.subList(0, k)));
            out.add(mth(d.subList(k, n)));
        } else {
            out.addAll(path(m - k, d.subList(k, n)));
            out.add(mth(d.subList(0, k)));
        }
        return out;
    }

    /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 &lt; m &lt; n; empty for m == n. */
    static List<Bytes32> proof(int m, List<Bytes32> d) {
        return subproof(m, d, true);
    }

    static List<Bytes32> subproof(int m, List<Bytes32> d, boolean b) {
        int n = d.size();
        List<Bytes32> out = new ArrayList<>();
        if (m == n) {
            if (!b) {
                out.add(mth(d));
            }
            return out;
        }
        int k = k(n);
        if (m <= k) {
            out.addAll(subproof(m, d.subList(0, k), b));
            out.add(mth(d.subList(k, n)));
        } else {
            out.addAll(subproof(m - k, d.subList(k, n), false));
            out.add(mth(d.subList(0, k)));
        }
        return out;
    }

    private static Bytes32 node(Bytes32 l, Bytes32 r) {
        return Bytes32.of(sha256(new byte[] {0x01}, l.toArray(), r.toArray()));
    }
}
