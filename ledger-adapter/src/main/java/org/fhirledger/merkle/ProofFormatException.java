package org.fhirledger.merkle;

/** A serialised proof is malformed: bad JSON, a missing or unexpected field, or a badly encoded hash. */
public class ProofFormatException extends RuntimeException {
    public ProofFormatException(String message) {
        super(message);
    }

    public ProofFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
