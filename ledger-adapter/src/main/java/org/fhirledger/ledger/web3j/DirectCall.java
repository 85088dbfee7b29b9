package org.fhirledger.ledger.web3j;

import java.util.concurrent.CompletableFuture;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** A single non-batched call (e.g. a consent grant) that must share the nonce sequence. */
record DirectCall(
        String to, String data, long gasLimit, CompletableFuture<TransactionReceipt> future, long enqueuedNanos) {}
