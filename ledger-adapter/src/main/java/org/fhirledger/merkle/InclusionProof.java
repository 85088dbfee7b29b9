package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/**
 * RFC 9162 inclusion proof (audit path) of leaf {@code leafIndex} in the tree of the first {@code treeSize}
 * leaves: sibling hashes from the leaf up to the root.
 */
public record InclusionProof(long leafIndex, long treeSize, List<Bytes32> hashes) {
    public InclusionProof {
        if (leafIndex < 0 || treeSize < 0) {
            throw new IllegalArgumentException("negative index or size: " + leafIndex + ", " + treeSize);
        }
        hashes = List.copyOf(hashes);
    }
}
