package org.fhirledger.merkle;

/** The log cannot produce the requested root or proof, e.g. an index or size beyond the log's size. */
public class ProofException extends RuntimeException {
    public ProofException(String message) {
        super(message);
    }
}
