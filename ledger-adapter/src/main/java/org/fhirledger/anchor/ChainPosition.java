package org.fhirledger.anchor;

/**
 * Where an event is on the private chain: its block (number and hash), its position in the block's logs and its
 * transaction. Pointers for a reader of the private chain; not part of the leaf.
 */
public record ChainPosition(long blockNumber, String blockHash, long logIndex, String txHash) {}
