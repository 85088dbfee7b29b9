package org.fhirledger.content;

/**
 * Content-addressed storage of opaque bytes (for us: ciphertext). Implementations agree on the CID of given
 * bytes (see {@link UnixFsDag}), so content can move between the embedded store and IPFS without re-addressing.
 *
 * <p>Every {@link #get} verifies the bytes against the CID before returning them; a mismatch is a
 * {@link ContentIntegrityException}, never data.
 */
public interface ContentStore {

    /** Stores and pins the bytes; returns their CIDv1. Idempotent. */
    Cid put(byte[] content);

    /**
     * The verified bytes of a CID.
     *
     * @throws ContentNotFoundException    the store does not hold it
     * @throws ContentIntegrityException   the store returned other bytes
     * @throws ContentTooLargeException    the content exceeds the size limit
     * @throws ContentUnavailableException the store cannot be reached
     */
    byte[] get(Cid cid);

    /**
     * Stores the bytes even where the store holds a damaged or partial copy under their CID (a repair): a store whose
     * {@link #put} keeps blocks it already has drops them first. Returns their CIDv1.
     */
    default Cid replace(byte[] content) {
        return put(content);
    }

    /** Keeps the content from garbage collection. Fails with {@link ContentNotFoundException} if not held. */
    void pin(Cid cid);

    /** Allows garbage collection of the content; a no-op if it was not pinned. */
    void unpin(Cid cid);

    /** Whether the store holds the content locally (no network fetch). */
    boolean has(Cid cid);

    /** Whether the content is pinned (recursively). */
    boolean isPinned(Cid cid);

    /** The largest content, in bytes, this store accepts or returns. */
    long maxContentBytes();
}
