package org.fhirledger.merkle;

/**
 * A proof did not verify. Checked, because a failed verification is an expected outcome the caller must
 * handle (report tampering), not a programming error. The message says which check failed.
 */
public class VerificationException extends Exception {
    public VerificationException(String message) {
        super(message);
    }
}
