package org.fhirledger.anchor;

import org.fhirledger.merkle.Hash;

/** One anchor in AnchorRegistry: its index, the tree size and root it publishes, and the block timestamp. */
public record Anchor(long index, long treeSize, Hash root, long timestamp) {}
