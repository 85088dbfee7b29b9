package org.fhirledger.ledger;

import java.util.Objects;

/**
 * Where the private-chain ledger lives: its JSON-RPC URL, chain id and contract addresses (with the block their
 * events are searched from). What proofs name and what an event reader needs, without the adapter itself.
 */
public record ChainCoordinates(String rpcUrl, long chainId, ContractAddresses contracts) {
    public ChainCoordinates {
        Objects.requireNonNull(rpcUrl, "rpcUrl");
        Objects.requireNonNull(contracts, "contracts");
    }
}
