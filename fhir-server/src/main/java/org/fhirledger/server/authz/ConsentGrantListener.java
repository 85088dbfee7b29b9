package org.fhirledger.server.authz;

/**
 * Told after the commit of a Consent that granted a patient's consent to a ledger account (docs/exchange.md, custodian
 * offline: the data key release for another member's clinician). Runs after the transaction, so a listener's failure
 * never undoes the Consent; a listener that throws is logged.
 */
public interface ConsentGrantListener {

    /** The accounts one Consent write granted the patient's consent to. */
    void granted(String patientId, java.util.List<String> accounts);
}
