package org.fhirledger.content;

/**
 * The parameters that decide which CID a node gives to some bytes. The defaults are what Kubo and js-ipfs use for
 * {@code add?cid-version=1&raw-leaves=true}: fixed-size chunks of 262144 bytes, balanced DAG, 174 links per node.
 *
 * @param chunkSize  bytes per leaf (the node's {@code chunker=size-N})
 * @param maxLinks   children per dag-pb node before another level is added
 * @param cidVersion 1: raw leaves and CIDv1 (our default); 0: dag-pb leaves and CIDv0 (Kubo's legacy default)
 */
public record DagLayout(int chunkSize, int maxLinks, int cidVersion) {
    public static final int DEFAULT_CHUNK_SIZE = 262_144;
    public static final int DEFAULT_MAX_LINKS = 174;
    public static final DagLayout DEFAULT = new DagLayout(DEFAULT_CHUNK_SIZE, DEFAULT_MAX_LINKS, 1);

    public DagLayout {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
        }
        if (maxLinks < 2) {
            throw new IllegalArgumentException("maxLinks must be at least 2: " + maxLinks);
        }
        if (cidVersion != 0 && cidVersion != 1) {
            throw new IllegalArgumentException("cidVersion must be 0 or 1: " + cidVersion);
        }
    }

    public static DagLayout withChunkSize(int chunkSize) {
        return new DagLayout(chunkSize, DEFAULT_MAX_LINKS, 1);
    }
}
