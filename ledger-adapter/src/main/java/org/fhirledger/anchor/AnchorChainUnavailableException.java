package org.fhirledger.anchor;

/** The public chain's node did not answer (or mined nothing in time); the caller retries later. */
public class AnchorChainUnavailableException extends RuntimeException {
    public AnchorChainUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
