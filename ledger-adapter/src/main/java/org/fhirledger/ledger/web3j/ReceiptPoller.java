package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Polls the receipts of the in-flight transactions, as web3j's PollingTransactionReceiptProcessor does, in nonce
 * order: a transaction the node forgot is sent again with the same bytes, a gap below the lowest one is filled
 * (via the nonce line), and one without a receipt within the timeout has its futures failed while it stays
 * tracked so its nonce is not lost. Used by the submitter thread only.
 */
final class ReceiptPoller {
    private static final Logger log = LoggerFactory.getLogger(ReceiptPoller.class);

    /** What the submitter does with a polled transaction. */
    interface Settle {
        /** Mined (successfully or reverted): answer its futures. */
        void mined(InFlight f, TransactionReceipt receipt);

        /** Failed for good, or timed out: fail its futures. */
        void failed(InFlight f, LedgerException ex);

        /** The node does not know it: send the same bytes again. */
        void resend(InFlight f) throws IOException;
    }

    private final Web3j web3j;
    private final LedgerConfig config;
    private final List<InFlight> inFlight;
    private final NonceLine nonces;
    private final Settle settle;
    private long lastPollNanos;

    ReceiptPoller(Web3j web3j, LedgerConfig config, List<InFlight> inFlight, NonceLine nonces, Settle settle) {
        this.web3j = web3j;
        this.config = config;
        this.inFlight = inFlight;
        this.nonces = nonces;
        this.settle = settle;
    }

    void pollReceipts() throws IOException {
        long now = System.nanoTime();
        if (inFlight.isEmpty() || now - lastPollNanos < config.pollInterval().toNanos()) return;
        lastPollNanos = now;
        Iterator<InFlight> it = inFlight.iterator();
        boolean missing = false;
        while (it.hasNext()) {
            InFlight f = it.next();
            Optional<TransactionReceipt> receipt = missing
                    ? Optional.empty()
                    : web3j.ethGetTransactionReceipt(f.hash).send().getTransactionReceipt();
            if (receipt.isPresent()) {
                it.remove();
                try {
                    settle.mined(f, receipt.get());
                } catch (RuntimeException e) {
                    // an unreadable receipt (a bug or a malformed node answer): fail clearly rather than hang
                    log.error("cannot read receipt of {}", f.hash, e);
                    settle.failed(f, new LedgerException("cannot read receipt of " + f.hash + ": " + e, e));
                }
                continue;
            }
            // mined in nonce order: later ones are not mined either; only check whether the node still has them
            boolean lowest = !missing;
            missing = true;
            if (now - f.lastBroadcastNanos > config.rebroadcastAfter().toNanos()) {
                if (web3j.ethGetTransactionByHash(f.hash)
                        .send()
                        .getTransaction()
                        .isEmpty()) {
                    log.warn("transaction with nonce {} unknown to the node, sending it again", f.nonce);
                    settle.resend(f); // may change the list: continue at the next poll
                    break;
                }
                f.lastBroadcastNanos = now;
                if (lowest && now - f.sentNanos > 2 * config.rebroadcastAfter().toNanos() && nonces.fillGapBelow(f)) {
                    break; // the list changed: continue at the next poll
                }
            }
            if (!f.abandoned && now - f.sentNanos > config.receiptTimeout().toNanos()) {
                f.abandoned = true;
                settle.failed(
                        f,
                        new LedgerUnavailableException(
                                "no receipt for transaction " + f.hash + " within " + config.receiptTimeout(), null));
            }
        }
    }
}
