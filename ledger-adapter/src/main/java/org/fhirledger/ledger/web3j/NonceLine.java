package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * The account's nonce line, as web3j's FastRawTransactionManager keeps it: assigns each signed transaction the next
 * nonce and adds it to the in-flight list (in nonce order), fills nonces nobody else will fill with empty
 * self-transfers, and takes the node's count again when the line and the chain disagree. Used by the submitter
 * thread only.
 */
final class NonceLine {
    private static final Logger log = LoggerFactory.getLogger(NonceLine.class);

    /** Sends a signed transaction (the submitter's broadcast, which interprets the node's answer). */
    interface Broadcast {
        void send(InFlight f) throws IOException;
    }

    private final Web3j web3j;
    private final Credentials credentials;
    private final LedgerConfig config;
    private final List<InFlight> inFlight;
    private final Broadcast broadcast;
    private BigInteger nonce;

    NonceLine(
            Web3j web3j,
            Credentials credentials,
            LedgerConfig config,
            List<InFlight> inFlight,
            Broadcast broadcast,
            BigInteger startNonce) {
        this.web3j = web3j;
        this.credentials = credentials;
        this.config = config;
        this.inFlight = inFlight;
        this.broadcast = broadcast;
        this.nonce = startNonce;
    }

    /** Signs a transaction with the next nonce and puts it in flight (not sent yet). */
    InFlight sign(Lane<Object> lane, List<Pending<Object>> batch, DirectCall direct, String to, String data, long gas) {
        RawTransaction raw = RawTransaction.createTransaction(
                nonce, config.gasPrice(), BigInteger.valueOf(gas), to, BigInteger.ZERO, data);
        byte[] signed = TransactionEncoder.signMessage(raw, config.chainId(), credentials);
        InFlight f = new InFlight(lane, batch, direct, nonce, signed);
        nonce = nonce.add(BigInteger.ONE);
        inFlight.add(f);
        return f;
    }

    /** {@code f}'s nonce was used by another transaction of this account: continue from the chain's count. */
    void skipToChain(InFlight f) throws IOException {
        BigInteger chainNonce = web3j.ethGetTransactionCount(
                        credentials.getAddress(), DefaultBlockParameterName.PENDING)
                .send()
                .getTransactionCount();
        log.warn("nonce {} already used on chain; continuing from {}", f.nonce, chainNonce);
        nonce = nonce.max(chainNonce);
    }

    /** A filler itself was refused: take the chain's count rather than loop. */
    void resetToChain() throws IOException {
        nonce = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.PENDING)
                .send()
                .getTransactionCount();
    }

    /**
     * The start nonce counts a crashed predecessor's transactions in the pool (PENDING). If those vanish (node
     * restart, pool eviction), nothing of ours would ever fill their nonces and every later transaction waits
     * forever. Our lowest unmined transaction being above the mined count, while the node knows it, is that gap:
     * fill it with empty self-transfers. (A predecessor's transaction still in the pool makes the node refuse
     * the filler, which is then dropped.)
     */
    boolean fillGapBelow(InFlight lowest) throws IOException {
        BigInteger mined = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.LATEST)
                .send()
                .getTransactionCount();
        if (mined.compareTo(lowest.nonce) >= 0) return false;
        log.warn(
                "nonces {}..{} are neither mined nor ours (a predecessor's lost transactions); filling them",
                mined,
                lowest.nonce.subtract(BigInteger.ONE));
        for (BigInteger n = mined; n.compareTo(lowest.nonce) < 0; n = n.add(BigInteger.ONE)) {
            fillNonce(n, true);
        }
        return true;
    }

    /** Fills {@code gapNonce} with an empty self-transfer, so later transactions are not stuck behind it. */
    void fillNonce(BigInteger gapNonce, boolean predecessorGap) throws IOException {
        RawTransaction raw = RawTransaction.createEtherTransaction(
                gapNonce, config.gasPrice(), BigInteger.valueOf(21_000), credentials.getAddress(), BigInteger.ZERO);
        byte[] signed = TransactionEncoder.signMessage(raw, config.chainId(), credentials);
        InFlight filler = new InFlight(null, List.of(), null, gapNonce, signed);
        filler.gapFiller = predecessorGap;
        int pos = 0;
        while (pos < inFlight.size() && inFlight.get(pos).nonce.compareTo(gapNonce) < 0) pos++;
        inFlight.add(pos, filler);
        broadcast.send(filler);
    }
}
