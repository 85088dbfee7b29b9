package org.fhirledger.merkle;

import java.util.ArrayList;
import java.util.List;
import org.fhirledger.bytes.Bytes32;

/**
 * Verifies inclusion and consistency proofs with the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms.
 * Needs nothing from the log: a client with an anchored (size, root) pair can check a proof on its own.
 *
 * <p>The proof is bound to the (size, root) pair as a whole: both must come from the same trusted tree head
 * (e.g. the anchor on the public chain), never the size from one source and the root from another.
 */
public final class ProofVerifier {

    private ProofVerifier() {}

    /** Verifies that {@code leafHash} is the leaf at {@code proof.leafIndex()} of the tree with {@code root}. */
    public static void verifyInclusion(Bytes32 leafHash, InclusionProof proof, Bytes32 root)
            throws VerificationException {
        verifyInclusion(leafHash, proof.leafIndex(), proof.treeSize(), proof.hashes(), root);
    }

    /** RFC 9162 §2.1.3.2. Throws with the reason if the proof does not verify. */
    public static void verifyInclusion(
            Bytes32 leafHash, long leafIndex, long treeSize, List<Bytes32> proof, Bytes32 root)
            throws VerificationException {
        requireNonNull(root, "root");
        Bytes32 computed = rootFromInclusionProof(leafHash, leafIndex, treeSize, proof);
        if (!computed.equals(root)) {
            throw new VerificationException("inclusion proof for leaf " + leafIndex + " in tree of size " + treeSize
                    + " leads to root " + computed.toHexDigits() + ", expected " + root.toHexDigits());
        }
    }

    /**
     * The root implied by an inclusion proof, after checking its shape (index &lt; size, exact number of
     * hashes). Useful to look the root up in an anchor rather than compare with a known one.
     */
    public static Bytes32 rootFromInclusionProof(Bytes32 leafHash, long leafIndex, long treeSize, List<Bytes32> proof)
            throws VerificationException {
        requireNonNull(leafHash, "leaf hash");
        requireElements(proof);
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize) {
            throw new VerificationException("leaf index " + leafIndex + " is not in a tree of size " + treeSize);
        }
        long fn = leafIndex;
        long sn = treeSize - 1;
        Bytes32 r = leafHash;
        for (int i = 0; i < proof.size(); i++) {
            if (sn == 0) {
                throw new VerificationException("inclusion proof too long: " + proof.size()
                        + " hashes, the path of leaf " + leafIndex + " in a tree of size " + treeSize
                        + " has only " + i);
            }
            Bytes32 p = proof.get(i);
            if ((fn & 1) == 1 || fn == sn) {
                r = Rfc6962.nodeHash(p, r);
                // On the right border the node has no right sibling: skip the levels where it is promoted.
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = Rfc6962.nodeHash(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            throw new VerificationException("inclusion proof too short: " + proof.size()
                    + " hashes do not reach the root of a tree of size " + treeSize + " from leaf " + leafIndex);
        }
        return r;
    }

    /** Verifies that the tree with {@code root2} extends the tree with {@code root1}. */
    public static void verifyConsistency(ConsistencyProof proof, Bytes32 root1, Bytes32 root2)
            throws VerificationException {
        verifyConsistency(proof.fromSize(), proof.toSize(), root1, root2, proof.hashes());
    }

    /**
     * RFC 9162 §2.1.4.2, plus the cases the RFC leaves out: equal sizes (empty proof, equal roots) and an empty
     * first tree (empty proof, root1 must be the empty-tree hash). Throws with the reason if it does not verify.
     */
    public static void verifyConsistency(long size1, long size2, Bytes32 root1, Bytes32 root2, List<Bytes32> proof)
            throws VerificationException {
        requireNonNull(root1, "first root");
        requireNonNull(root2, "second root");
        requireElements(proof);
        if (size1 < 0 || size2 < 0) {
            throw new VerificationException("negative tree size: " + size1 + ", " + size2);
        }
        if (size1 > size2) {
            throw new VerificationException("first tree size " + size1 + " is larger than second " + size2);
        }
        if (size1 == size2) {
            if (!proof.isEmpty()) {
                throw new VerificationException(
                        "consistency proof between equal sizes must be empty, got " + proof.size() + " hashes");
            }
            if (!root1.equals(root2)) {
                throw new VerificationException("trees of equal size " + size1 + " have different roots "
                        + root1.toHexDigits() + " and " + root2.toHexDigits());
            }
            return;
        }
        if (size1 == 0) {
            if (!proof.isEmpty()) {
                throw new VerificationException(
                        "consistency proof from the empty tree must be empty, got " + proof.size() + " hashes");
            }
            if (!root1.equals(Rfc6962.emptyRoot())) {
                throw new VerificationException("first root " + root1 + " is not the empty-tree hash");
            }
            return;
        }
        if (proof.isEmpty()) {
            throw new VerificationException("empty consistency proof from size " + size1 + " to " + size2);
        }
        List<Bytes32> path = proof;
        if (Long.bitCount(size1) == 1) {
            // The old tree is a complete subtree of the new one; the RFC proof omits its root.
            path = new ArrayList<>(proof.size() + 1);
            path.add(root1);
            path.addAll(proof);
        }
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        Bytes32 fr = path.get(0);
        Bytes32 sr = path.get(0);
        for (int i = 1; i < path.size(); i++) {
            if (sn == 0) {
                throw new VerificationException("consistency proof from size " + size1 + " to " + size2 + " too long: "
                        + proof.size() + " hashes");
            }
            Bytes32 c = path.get(i);
            if ((fn & 1) == 1 || fn == sn) {
                fr = Rfc6962.nodeHash(c, fr);
                sr = Rfc6962.nodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = Rfc6962.nodeHash(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            throw new VerificationException("consistency proof from size " + size1 + " to " + size2 + " too short: "
                    + proof.size() + " hashes");
        }
        if (!fr.equals(root1)) {
            throw new VerificationException("consistency proof leads to first root " + fr + ", expected " + root1);
        }
        if (!sr.equals(root2)) {
            throw new VerificationException("consistency proof leads to second root " + sr + ", expected " + root2);
        }
    }

    private static void requireNonNull(Bytes32 h, String what) throws VerificationException {
        if (h == null) {
            throw new VerificationException(what + " is missing");
        }
    }

    private static void requireElements(List<Bytes32> proof) throws VerificationException {
        if (proof == null) {
            throw new VerificationException("proof is missing");
        }
        for (int i = 0; i < proof.size(); i++) {
            if (proof.get(i) == null) {
                throw new VerificationException("proof element " + i + " is missing");
            }
        }
    }
}
