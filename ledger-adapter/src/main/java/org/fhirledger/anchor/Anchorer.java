package org.fhirledger.anchor;

import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.ConsistencyProof;
import org.fhirledger.merkle.MerkleLog;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.merkle.VerificationException;

/**
 * Publishes the log's (size, root) to the public chain, but only a tree that extends the newest anchor there: the
 * consistency proof from the anchored size to the new size, built from the local log, must verify against the
 * anchored root read from the chain. A log that rewrites anchored history is never anchored
 * ({@link HistoryRewrittenException}). Stateless: every call reads the newest anchor from the chain, so restarts,
 * crashes between sending and the receipt, and several anchorers on one registry need no local bookkeeping.
 */
public final class Anchorer {

    /** What one anchoring round did. */
    public sealed interface Outcome {
        /** A new anchor; {@code previous} is the one it extends (empty for the first). */
        record Published(Optional<Anchor> previous, AnchorReceipt receipt, ConsistencyProof proof) implements Outcome {}

        /** Nothing new since the newest anchor (or an empty log). */
        record UpToDate(Optional<Anchor> latest) implements Outcome {}

        /** The chain holds an anchor beyond the local log (the log is still catching up): nothing to check yet. */
        record Behind(Anchor latest, long localSize) implements Outcome {}
    }

    private Anchorer() {}

    /**
     * Checks the log against the newest anchor and, if the log grew, publishes its size and root.
     *
     * @throws HistoryRewrittenException if the log does not extend the newest anchor
     * @throws AnchorChainUnavailableException if the public chain cannot be reached (retry later)
     */
    public static Outcome anchor(MerkleLog log, AnchorChain chain) {
        long size = log.size();
        Bytes32 root = log.rootAt(size);
        Optional<Anchor> latest = chain.latest();
        Optional<Outcome> early = check(log, size, root, latest);
        if (early.isPresent()) return early.get();
        ConsistencyProof proof =
                log.consistencyProof(latest.map(Anchor::treeSize).orElse(0L), size);
        return new Outcome.Published(latest, chain.publish(size, root), proof);
    }

    /**
     * The consistency check alone (no publishing): whether the log extends the newest anchor.
     *
     * @throws HistoryRewrittenException if it does not
     */
    public static Outcome check(MerkleLog log, AnchorChain chain) {
        long size = log.size();
        Optional<Anchor> latest = chain.latest();
        return check(log, size, log.rootAt(size), latest).orElse(new Outcome.UpToDate(latest));
    }

    private static Optional<Outcome> check(MerkleLog log, long size, Bytes32 root, Optional<Anchor> latest) {
        if (latest.isEmpty()) {
            return size == 0 ? Optional.of(new Outcome.UpToDate(latest)) : Optional.empty();
        }
        Anchor a = latest.get();
        if (a.treeSize() > size) return Optional.of(new Outcome.Behind(a, size));
        ConsistencyProof proof = log.consistencyProof(a.treeSize(), size);
        try {
            ProofVerifier.verifyConsistency(proof, a.root(), root);
        } catch (VerificationException e) {
            throw new HistoryRewrittenException(
                    a,
                    "the local log of " + size + " entries does not extend anchor #"
                            + a.index() + " (size " + a.treeSize() + ", root "
                            + a.root().toHexDigits() + "): " + e.getMessage()
                            + "; local root at that size is "
                            + log.rootAt(a.treeSize()).toHexDigits());
        }
        return size == a.treeSize() ? Optional.of(new Outcome.UpToDate(latest)) : Optional.empty();
    }
}
