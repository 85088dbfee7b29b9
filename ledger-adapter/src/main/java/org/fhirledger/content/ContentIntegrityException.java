package org.fhirledger.content;

/**
 * The bytes a store returned (or the CID it announced) do not match the CID asked for: a misbehaving or compromised
 * node, or a corrupted file. The bytes are never handed to a caller.
 */
public class ContentIntegrityException extends ContentStoreException {
    private final Cid expected;
    private final Cid actual;

    public ContentIntegrityException(String source, Cid expected, Cid actual) {
        super(source + " returned content that does not match its CID: expected " + expected + ", bytes hash to "
                + actual);
        this.expected = expected;
        this.actual = actual;
    }

    public Cid expected() {
        return expected;
    }

    public Cid actual() {
        return actual;
    }
}
