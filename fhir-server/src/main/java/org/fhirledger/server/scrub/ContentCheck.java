package org.fhirledger.server.scrub;

import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentIntegrityException;
import org.fhirledger.content.ContentNotFoundException;
import org.fhirledger.content.ContentStore;
import org.fhirledger.content.ContentStoreException;
import org.fhirledger.content.ContentTooLargeException;

/**
 * Reads an object back and classifies it. The store's own {@link ContentStore#get} verifies the bytes against the
 * CID; this only translates its answer.
 */
public class ContentCheck {

    private final ContentStore store;

    public ContentCheck(ContentStore store) {
        this.store = store;
    }

    public ContentCondition of(Cid cid) {
        try {
            store.get(cid);
            return ContentCondition.INTACT;
        } catch (ContentIntegrityException | ContentTooLargeException e) {
            // an object larger than any envelope ever put is damaged too
            return ContentCondition.CORRUPTED;
        } catch (ContentNotFoundException e) {
            return ContentCondition.MISSING;
        } catch (ContentStoreException e) {
            return ContentCondition.UNCHECKED;
        }
    }

    ContentStore store() {
        return store;
    }
}
