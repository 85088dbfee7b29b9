package org.fhirledger.merkle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fhirledger.bytes.Bytes32;

/**
 * {@link HashStore} in memory: per level, hashes packed back to back in fixed-size chunks, so a million
 * leaves cost about 64 MB (2 million hashes) with no per-hash object.
 */
public final class InMemoryHashStore implements HashStore {

    private static final int CHUNK_BITS = 15;
    private static final int CHUNK_NODES = 1 << CHUNK_BITS;
    private static final int INITIAL_CHUNK_NODES = 8;

    /** levels.get(k) is the list of chunks of level k. */
    private final List<List<byte[]>> levels = new ArrayList<>();

    private final List<Long> counts = new ArrayList<>();

    @Override
    public long leafCount() {
        return count(0);
    }

    @Override
    public Bytes32 node(int level, long index) {
        if (index < 0 || index >= count(level)) {
            throw new IllegalArgumentException(
                    "no node at level " + level + " index " + index + " (level holds " + count(level) + ")");
        }
        byte[] chunk = levels.get(level).get((int) (index >>> CHUNK_BITS));
        byte[] out = new byte[Bytes32.SIZE];
        System.arraycopy(chunk, (int) (index & (CHUNK_NODES - 1)) * Bytes32.SIZE, out, 0, Bytes32.SIZE);
        return Bytes32.of(out);
    }

    @Override
    public void append(List<StoredNode> nodes) {
        // Validate the whole batch first so a bad batch leaves the store untouched (the atomicity contract).
        long[] next = new long[64];
        for (int k = 0; k < 64; k++) {
            next[k] = count(k);
        }
        for (StoredNode n : nodes) {
            if (n.index() != next[n.level()]) {
                throw new IllegalStateException("out-of-order node at level " + n.level() + ": index " + n.index()
                        + ", expected " + next[n.level()]);
            }
            next[n.level()]++;
        }
        for (StoredNode n : nodes) {
            put(n.level(), n.index(), n.hash());
        }
    }

    private long count(int level) {
        return level < counts.size() ? counts.get(level) : 0;
    }

    private void put(int level, long index, Bytes32 hash) {
        while (levels.size() <= level) {
            levels.add(new ArrayList<>());
            counts.add(0L);
        }
        List<byte[]> chunks = levels.get(level);
        int offset = (int) (index & (CHUNK_NODES - 1));
        if (offset == 0) {
            // Start small and double: most logs (and all upper levels) are far smaller than a chunk.
            chunks.add(new byte[INITIAL_CHUNK_NODES * Bytes32.SIZE]);
        }
        int last = chunks.size() - 1;
        byte[] chunk = chunks.get(last);
        if (offset * Bytes32.SIZE == chunk.length) {
            chunk = Arrays.copyOf(chunk, Math.min(2 * chunk.length, CHUNK_NODES * Bytes32.SIZE));
            chunks.set(last, chunk);
        }
        hash.copyTo(chunk, offset * Bytes32.SIZE);
        counts.set(level, index + 1);
    }
}
