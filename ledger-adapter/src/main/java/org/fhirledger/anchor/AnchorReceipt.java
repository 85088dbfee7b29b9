package org.fhirledger.anchor;

/** A published anchor and the public-chain transaction that put it there ({@code gasUsed} from the receipt). */
public record AnchorReceipt(Anchor anchor, String txHash, long blockNumber, long gasUsed) {}
