package org.fhirledger.ledger;

/** An access-ledger entry as found on chain. */
public record AccessInfo(AccessEntry entry, LedgerReceipt receipt) {}
