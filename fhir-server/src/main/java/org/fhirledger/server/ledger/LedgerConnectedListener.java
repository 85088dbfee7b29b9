package org.fhirledger.server.ledger;

import org.fhirledger.ledger.Ledger;

/**
 * Told once the server's ledger is connected, before anything else uses it (dev mode gives its dev ADMIN the ADMIN
 * role there). A listener that throws fails the start-up; the connection is closed.
 */
public interface LedgerConnectedListener {

    void connected(Ledger ledger);
}
