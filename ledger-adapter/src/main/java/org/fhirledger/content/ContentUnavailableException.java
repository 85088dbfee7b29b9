package org.fhirledger.content;

/** The store could not be reached (node down, timeouts) even after retries; the message names the endpoint. */
public class ContentUnavailableException extends ContentStoreException {
    public ContentUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
