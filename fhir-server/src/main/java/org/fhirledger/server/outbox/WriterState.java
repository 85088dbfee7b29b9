package org.fhirledger.server.outbox;

/**
 * What this replica's ledger writer is doing: starting, writing (it holds the account's writer lock), standing by
 * (another replica holds it), or stopped. Shown by the "outbox" health indicator.
 */
public enum WriterState {
    STARTING,
    ACTIVE,
    STANDBY,
    STOPPED
}
