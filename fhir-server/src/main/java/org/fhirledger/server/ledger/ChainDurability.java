package org.fhirledger.server.ledger;

/**
 * How much of the private chain survives a crash of its node: everything up to {@link #durableBlock()}. A node
 * that persists every block itself (Besu) is durable to its head; the embedded anvil only up to its last snapshot
 * ({@link EmbeddedChain}). The ledger follower reads no further, so the Merkle log never holds an entry a crash
 * could take back.
 */
public interface ChainDurability {

    long durableBlock();

    /** Told when the node came back with fewer blocks than it had: entries above {@code durableBlock} are gone. */
    interface LostBlocksListener {
        void blocksLostAbove(long durableBlock);
    }
}
