package org.fhirledger.content;

/** The store answered but does not hold (or could not find) the content of this CID. */
public class ContentNotFoundException extends ContentStoreException {
    private final Cid cid;

    public ContentNotFoundException(Cid cid, String detail) {
        super("content " + cid + " not found: " + detail);
        this.cid = cid;
    }

    public Cid cid() {
        return cid;
    }
}
