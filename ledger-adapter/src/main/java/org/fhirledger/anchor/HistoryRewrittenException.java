package org.fhirledger.anchor;

/**
 * The local Merkle log does not extend the tree anchored on the public chain: anchored history was rewritten
 * (a changed, removed or reordered entry at or before the anchored size). Never anchor over it; investigate.
 */
public class HistoryRewrittenException extends RuntimeException {
    private final Anchor anchored;

    public HistoryRewrittenException(Anchor anchored, String message) {
        super(message);
        this.anchored = anchored;
    }

    /** The anchor the log fails to extend. */
    public Anchor anchored() {
        return anchored;
    }
}
