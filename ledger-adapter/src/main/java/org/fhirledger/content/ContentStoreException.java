package org.fhirledger.content;

/** Base of every failure a {@link ContentStore} reports. */
public class ContentStoreException extends RuntimeException {
    public ContentStoreException(String message) {
        super(message);
    }

    public ContentStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
