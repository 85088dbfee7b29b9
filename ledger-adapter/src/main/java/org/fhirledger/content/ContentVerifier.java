package org.fhirledger.content;

/** Checks that bytes are the content of a CID by recomputing the CID under the store's DAG layout. */
final class ContentVerifier {
    private ContentVerifier() {}

    /**
     * A raw CID is the sha2-256 of the bytes. A dag-pb root is recomputed with the layout; content added under a
     * different chunker would not match and is reported as a mismatch (fails closed).
     */
    static void verify(String source, Cid expected, byte[] content, DagLayout layout) {
        Cid actual;
        if (expected.codec() == Cid.RAW) {
            actual = Cid.ofBlock(Cid.RAW, content);
        } else {
            actual = UnixFsDag.rootCid(
                    content, new DagLayout(layout.chunkSize(), layout.maxLinks(), expected.version()));
        }
        if (!actual.equals(expected)) {
            throw new ContentIntegrityException(source, expected, actual);
        }
    }
}
