package org.fhirledger.anchor;

/** AnchorRegistry refused an anchor; {@link #errorName()} is the contract's error (e.g. {@code NotAnchorer}). */
public class AnchorRefusedException extends RuntimeException {
    private final String errorName;

    public AnchorRefusedException(String errorName, String message) {
        super(message + ": " + errorName);
        this.errorName = errorName;
    }

    public String errorName() {
        return errorName;
    }
}
