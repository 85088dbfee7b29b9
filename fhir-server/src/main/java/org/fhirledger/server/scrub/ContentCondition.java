package org.fhirledger.server.scrub;

import java.util.Locale;

/** What the content store holds under a version's CID, as {@code $verify} and the scrub report it. */
public enum ContentCondition {
    /** The store returned bytes that hash to the CID. */
    INTACT,
    /** The store holds other bytes under the CID (a damaged object). */
    CORRUPTED,
    /** The store does not hold the CID. */
    MISSING,
    /** Not checked: no CID yet, or the store could not be reached. */
    UNCHECKED;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
