package org.fhirledger.ledger;

/** The node could not be reached (after retries), or did not answer in time. */
public class LedgerUnavailableException extends LedgerException {
    public LedgerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
