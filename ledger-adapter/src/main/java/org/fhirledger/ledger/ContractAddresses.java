package org.fhirledger.ledger;

/** Addresses of the private-chain contracts, and the block from which their events are searched. */
public record ContractAddresses(
        String accessRegistry, String consentRegistry, String recordLedger, String accessLedger, long fromBlock) {}
