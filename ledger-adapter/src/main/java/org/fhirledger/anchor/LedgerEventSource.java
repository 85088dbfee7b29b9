package org.fhirledger.anchor;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The private chain's ledger entries in chain order, as a follower reads them: the head, a block's hash (to notice a
 * rewritten history) and the entries of a range of blocks. Errors are thrown for the caller to retry.
 */
public interface LedgerEventSource extends AutoCloseable {

    long latestBlock() throws IOException;

    /** The hash of block {@code number} on the node's canonical chain, empty if it has no such block. */
    Optional<String> blockHash(long number) throws IOException;

    /** The ledger entries logged in blocks {@code from..to} (inclusive), in chain order. */
    List<LedgerEvent> events(long from, long to) throws IOException;

    @Override
    void close();
}
