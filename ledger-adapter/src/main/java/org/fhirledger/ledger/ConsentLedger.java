package org.fhirledger.ledger;

import java.math.BigInteger;
import java.time.Instant;
import org.fhirledger.bytes.Bytes32;

/** Patients' consent to grantees (ConsentRegistry contract). */
public interface ConsentLedger extends LedgerStatus {

    /** The consent the patient gave grantee, {@link ConsentGrant#NONE} when none (one view call). */
    ConsentGrant consentOf(Bytes32 patient, String grantee);

    /** Whether grantee may do {@code action} on resources of that type in the patient's compartment at time. */
    boolean isPermitted(Bytes32 patient, String grantee, ConsentAction action, String resourceType, Instant time);

    /**
     * Grants (or replaces) consent as this adapter's account, a CUSTODIAN relaying for the patient: the first
     * custodian to act for a patient becomes its home custodian, another gets {@code NotHomeCustodian}; waits for it.
     */
    LedgerReceipt grantConsent(Bytes32 patient, String grantee, int actions, BigInteger resourceTypes, Instant expiry);

    /** Revokes consent as this adapter's account (same rule as {@link #grantConsent}); waits for it. */
    LedgerReceipt revokeConsent(Bytes32 patient, String grantee);
}
