package org.fhirledger.crypto;

import java.util.List;
import java.util.Optional;

/**
 * Persistence of wrapped data keys, one per key id. {@link FileDataKeyStore} is the embedded default; the server
 * may back it with its database (a table keyed by key id with the {@link WrappedDataKey} columns).
 */
public interface DataKeyStore {

    Optional<WrappedDataKey> find(String keyId);

    /**
     * Inserts or replaces the record of {@code key.keyId()}; a replaced record's bytes must not survive. A tombstone
     * is final: replacing it with a live key must be refused atomically with the write (e.g. a conditional update
     * {@code WHERE destroyed_at IS NULL}), so crypto-shredding cannot be undone by a concurrent writer.
     *
     * @throws DataKeyDestroyedException {@code key} is live and the stored record is a tombstone
     */
    void save(WrappedDataKey key);

    /** Creates the record only if none exists for the key id; returns the record that is stored afterwards. */
    WrappedDataKey saveIfAbsent(WrappedDataKey key);

    /** Every key id with a record (live or tombstone), for re-wrapping after KEK rotation. */
    List<String> keyIds();
}
