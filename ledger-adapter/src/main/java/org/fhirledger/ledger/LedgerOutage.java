package org.fhirledger.ledger;

import java.time.Instant;

/** The node is known to be unreachable: since when, and the last error (no request values in it). */
public record LedgerOutage(Instant since, String reason) {}
