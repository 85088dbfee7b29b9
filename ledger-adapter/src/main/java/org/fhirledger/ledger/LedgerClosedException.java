package org.fhirledger.ledger;

/** The adapter was closed before the entry was confirmed; resubmit it to another instance (idempotent). */
public class LedgerClosedException extends LedgerException {
    public LedgerClosedException(String message) {
        super(message);
    }
}
