package org.fhirledger.ledger;

/** A record-ledger entry as found on chain. */
public record RecordInfo(RecordEntry entry, LedgerReceipt receipt) {}
