package org.fhirledger.content;

/** Content over the configured size limit, refused before sending or while reading. */
public class ContentTooLargeException extends ContentStoreException {
    private final long limit;

    public ContentTooLargeException(String what, long size, long limit) {
        super(what + " is " + (size < 0 ? "more than " + limit : size) + " bytes, over the limit of " + limit
                + " bytes");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
