package org.fhirledger.ledger;

/** Where an entry is on chain: its sequence number in its ledger, and the transaction that recorded it. */
public record LedgerReceipt(long seq, String txHash, long blockNumber) {}
