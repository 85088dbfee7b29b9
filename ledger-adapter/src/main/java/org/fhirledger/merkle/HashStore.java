package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/**
 * Storage port of a {@link MerkleLog}: the hashes of all perfect subtrees ("level arrays").
 * Level k holds {@code leafCount() >> k} nodes; every node is written once and never changes, so an
 * implementation can be a plain append-only table keyed by (level, index).
 *
 * <p>The log is the only writer and serialises its calls (appends under a write lock, reads under a read
 * lock), so implementations need not be thread-safe beyond that.
 */
public interface HashStore {

    /** Number of leaves stored (= number of level-0 nodes). */
    long leafCount();

    /**
     * The hash of the perfect subtree at {@code level} and {@code index}.
     *
     * @throws IllegalArgumentException if that node is not stored
     */
    Bytes32 node(int level, long index);

    /**
     * Stores a batch atomically (one database transaction in a persistent store): the new leaves, in order,
     * starting at index {@code leafCount()}, and the perfect-subtree hashes they complete. If the batch fails,
     * nothing of it may be visible, so the stored tree is always the tree of some prefix of the leaves.
     */
    void append(List<StoredNode> nodes);
}
