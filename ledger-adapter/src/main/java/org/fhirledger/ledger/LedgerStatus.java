package org.fhirledger.ledger;

import java.util.Optional;

/** What every ledger port tells about itself: whose account it acts as, and whether the node answers. */
public interface LedgerStatus {

    /** This adapter's account address (record entries and consent grants are made as this account). */
    String account();

    /** Present while the node is known to be unreachable (reads then fail at once); empty when it answers. */
    default Optional<LedgerOutage> outage() {
        return Optional.empty();
    }
}
