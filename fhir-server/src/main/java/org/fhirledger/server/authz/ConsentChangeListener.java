package org.fhirledger.server.authz;

/**
 * Told after the commit of a Consent write that granted or revoked a patient's consent for ledger accounts
 * (docs/exchange.md, custodian offline: the data key release for another member's clinician, and the data key's
 * rotation when such a consent is revoked). Runs after the transaction, so a listener's failure never undoes the
 * Consent; a listener that throws is logged.
 */
public interface ConsentChangeListener {

    /** The accounts one Consent write granted the patient's consent to. */
    void granted(String patientId, java.util.List<String> accounts);

    /** The accounts one Consent write revoked the patient's consent for. */
    void revoked(String patientId, java.util.List<String> accounts);
}
