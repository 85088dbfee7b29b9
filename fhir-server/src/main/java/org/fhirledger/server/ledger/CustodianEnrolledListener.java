package org.fhirledger.server.ledger;

import org.fhirledger.ledger.Ledger;

/**
 * Told when this server, started before the consortium admitted it, has enrolled itself as its institution's
 * CUSTODIAN (dev mode then gives its dev ADMIN the ADMIN role, as {@link LedgerConnectedListener} does for a server
 * enrolled from the start). A listener that throws is logged; the enrolment stands.
 */
public interface CustodianEnrolledListener {

    void enrolled(Ledger ledger);
}
