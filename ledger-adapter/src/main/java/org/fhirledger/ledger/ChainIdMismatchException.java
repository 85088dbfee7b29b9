package org.fhirledger.ledger;

/** The node serves another chain than configured: the adapter refuses to start. */
public class ChainIdMismatchException extends LedgerException {
    public ChainIdMismatchException(long expected, long actual, String rpcUrl) {
        super("node at " + rpcUrl + " serves chain id " + actual + ", configured chain id is " + expected);
    }
}
