package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/** A signed transaction awaiting its receipt: a batch of one lane, a direct call, or a nonce filler. */
final class InFlight {
    final Lane<Object> lane; // null for direct calls and nonce fillers
    final List<Pending<Object>> batch;
    final DirectCall direct;
    final BigInteger nonce;
    final String rawHex;
    final String hash;
    final long sentNanos = System.nanoTime();
    long lastBroadcastNanos = System.nanoTime();
    boolean abandoned; // futures already failed (timeout); still tracked so the nonce is not lost
    boolean gapFiller; // fills a nonce of a predecessor's vanished transaction

    InFlight(Lane<Object> lane, List<Pending<Object>> batch, DirectCall direct, BigInteger nonce, byte[] signed) {
        this.lane = lane;
        this.batch = batch;
        this.direct = direct;
        this.nonce = nonce;
        this.rawHex = Numeric.toHexString(signed);
        this.hash = Numeric.toHexString(Hash.sha3(signed));
    }
}
