package org.fhirledger.merkle;

import org.fhirledger.bytes.Bytes32;

/**
 * The hash of one perfect subtree: the 2^level leaves starting at leaf {@code index << level}.
 * Level 0 nodes are leaf hashes.
 */
public record StoredNode(int level, long index, Bytes32 hash) {
    public StoredNode {
        if (level < 0 || level > 63 || index < 0 || hash == null) {
            throw new IllegalArgumentException("invalid node level=" + level + " index=" + index);
        }
    }
}
