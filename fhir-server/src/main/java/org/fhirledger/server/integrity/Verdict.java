package org.fhirledger.server.integrity;

/** What the integrity check says about one served version. */
public enum Verdict {
    /** The served body hashes to the content hash the ledger holds for this version. */
    VERIFIED(null),
    /** Not on chain yet; the body matches the hash taken when it was written. Tagged "pending". */
    PENDING("pending"),
    /** Written while the ledger was off: there is nothing to check against. Tagged "unrecorded". */
    UNRECORDED("unrecorded"),
    /** Recorded, but the chain did not answer in time; the body matches the outbox. Tagged "unverified". */
    UNVERIFIED("unverified"),
    /** The served body does not match its record: refused. */
    TAMPERED(null);

    private final String tag;

    Verdict(String tag) {
        this.tag = tag;
    }

    /** The code of the meta.tag (system CanonicalResource.LEDGER_TAG_SYSTEM) the served version carries, if any. */
    public String tag() {
        return tag;
    }
}
