package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.LedgerReceipt;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** One batched append function of one contract: how to encode a batch, read its receipt, find an entry. */
interface Lane<E> {
    String name();

    String contractAddress();

    /** ABI-encoded call of the batch append function. */
    String encode(List<E> entries);

    /** Sequence numbers of the entries recorded by a successful receipt, by entry. */
    Map<E, LedgerReceipt> recorded(TransactionReceipt receipt, List<E> entries);

    /** Name of the custom error that means "this entry is already on chain". */
    String duplicateError();

    /**
     * The entry's existing receipt when it is already on chain; empty when it is not.
     *
     * @throws ConflictingEntryException when the same key is on chain with different content
     */
    Optional<LedgerReceipt> existing(E entry) throws IOException;
}
