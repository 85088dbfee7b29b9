package org.fhirledger.ledger;

/** Told of role and consent changes, in chain order, so callers can invalidate their caches. */
public interface LedgerListener {
    default void onRoleChange(RoleChange change) {}

    default void onConsentChange(ConsentChange change) {}
}
