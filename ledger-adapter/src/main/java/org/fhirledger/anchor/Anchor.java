package org.fhirledger.anchor;

import org.fhirledger.bytes.Bytes32;

/** One anchor in AnchorRegistry: its index, the tree size and root it publishes, and the block timestamp. */
public record Anchor(long index, long treeSize, Bytes32 root, long timestamp) {}
