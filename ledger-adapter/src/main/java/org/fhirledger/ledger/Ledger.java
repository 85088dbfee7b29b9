package org.fhirledger.ledger;

/**
 * The private-chain ledger as a whole, for wiring: one adapter serves every concern. Callers depend on the
 * narrowest port they use ({@link RecordLedger}, {@link AccessLedger}, {@link DirectoryLedger},
 * {@link ConsentLedger}); reads are views on the latest block.
 */
public interface Ledger extends RecordLedger, AccessLedger, DirectoryLedger, ConsentLedger, AutoCloseable {

    /** Registers a listener for role and consent changes from now on; close the handle to unregister. */
    AutoCloseable addListener(LedgerListener listener);

    /** Stops accepting entries, waits (bounded) for queued and in-flight entries, fails what remains. */
    @Override
    void close();
}
