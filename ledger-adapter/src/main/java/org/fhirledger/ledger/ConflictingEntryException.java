package org.fhirledger.ledger;

/** The (resource, version) is already on chain with a different content hash: not an idempotent resend. */
public class ConflictingEntryException extends LedgerException {
    public ConflictingEntryException(String message) {
        super(message);
    }
}
