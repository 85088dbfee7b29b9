package org.fhirledger.merkle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.fhirledger.bytes.Bytes32;

/**
 * An append-only RFC 6962 Merkle log over a {@link HashStore} of perfect-subtree hashes.
 *
 * <p>Appending a leaf stores it plus the perfect subtrees it completes (amortised 2 hashes per leaf).
 * Every node of the RFC tree of any size m ≤ size() is either a stored perfect subtree or sits on the
 * tree's right border, where it is the fold of at most log2(m) stored subtrees; so roots and proofs for any
 * earlier size cost O(log n) store reads and hashes, never a rescan of the leaves.
 *
 * <p>Thread-safe: appends are exclusive, roots and proofs run concurrently with each other.
 */
public final class MerkleLog {

    private final HashStore store;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    /** frontier[k]: the rightmost perfect subtree of height k if bit k of size is set, else null. */
    private final Bytes32[] frontier = new Bytes32[64];

    private long size;

    /** Opens a log over the leaves already in {@code store} (reads O(log n) nodes). */
    public MerkleLog(HashStore store) {
        this.store = store;
        this.size = store.leafCount();
        for (int k = 0; k < 63; k++) {
            if ((size >>> k & 1) != 0) {
                frontier[k] = store.node(k, (size >>> k) - 1);
            }
        }
    }

    /** A new empty log kept in memory. */
    public static MerkleLog inMemory() {
        return new MerkleLog(new InMemoryHashStore());
    }

    /** Number of leaves. */
    public long size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Appends one ledger entry, given as the caller's canonical entry bytes; the leaf is
     * {@link Rfc6962#leafHash(byte[])} of them. Returns the entry's leaf index.
     */
    public long appendEntry(byte[] canonicalEntryBytes) {
        return appendLeafHash(Rfc6962.leafHash(canonicalEntryBytes));
    }

    /** Appends a leaf hash already computed with {@link Rfc6962#leafHash(byte[])}; returns its index. */
    public long appendLeafHash(Bytes32 leafHash) {
        return appendLeafHashes(List.of(leafHash));
    }

    /**
     * Appends leaf hashes in order as one atomic store write; returns the index of the first.
     * If the store write fails the log is unchanged.
     */
    public long appendLeafHashes(List<Bytes32> leafHashes) {
        lock.writeLock().lock();
        try {
            for (int i = 0; i < leafHashes.size(); i++) {
                if (leafHashes.get(i) == null) {
                    throw new IllegalArgumentException("null leaf hash at batch position " + i);
                }
            }
            long first = size;
            Bytes32[] saved = frontier.clone();
            try {
                List<StoredNode> batch = new ArrayList<>(2 * leafHashes.size() + 1);
                long n = size;
                for (Bytes32 leaf : leafHashes) {
                    n = push(n, leaf, batch);
                }
                store.append(batch);
                size = n;
                return first;
            } catch (RuntimeException e) {
                // The store wrote nothing (atomic batch), so the in-memory frontier must not move either.
                System.arraycopy(saved, 0, frontier, 0, frontier.length);
                throw e;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Binary-counter carry: leaf n merges with the pending subtrees it completes. Returns the new size. */
    private long push(long n, Bytes32 leaf, List<StoredNode> out) {
        out.add(new StoredNode(0, n, leaf));
        Bytes32 carry = leaf;
        int k = 0;
        while ((n >>> k & 1) != 0) {
            carry = Rfc6962.nodeHash(frontier[k], carry);
            frontier[k] = null;
            k++;
            out.add(new StoredNode(k, n >>> k, carry));
        }
        frontier[k] = carry;
        return n + 1;
    }

    /** The leaf hash at {@code index}. */
    public Bytes32 leafHash(long index) {
        lock.readLock().lock();
        try {
            if (index < 0 || index >= size) {
                throw new ProofException("leaf index " + index + " outside log of size " + size);
            }
            return store.node(0, index);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Root of the whole log (empty-tree hash when empty); O(log n) hashing, no store reads. */
    public Bytes32 root() {
        lock.readLock().lock();
        try {
            Bytes32 acc = null;
            for (int k = 0; k < 63; k++) {
                if (frontier[k] != null) {
                    acc = acc == null ? frontier[k] : Rfc6962.nodeHash(frontier[k], acc);
                }
            }
            return acc == null ? Rfc6962.emptyRoot() : acc;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** MTH of the first {@code treeSize} leaves, 0 ≤ treeSize ≤ size(). */
    public Bytes32 rootAt(long treeSize) {
        lock.readLock().lock();
        try {
            checkSize(treeSize, "tree size");
            return treeSize == 0 ? Rfc6962.emptyRoot() : rangeHash(0, treeSize);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** RFC 9162 §2.1.3.1 PATH(leafIndex, D[0:treeSize]), leaf-to-root order. */
    public InclusionProof inclusionProof(long leafIndex, long treeSize) {
        lock.readLock().lock();
        try {
            checkSize(treeSize, "tree size");
            if (leafIndex < 0 || leafIndex >= treeSize) {
                throw new ProofException("leaf index " + leafIndex + " not in tree of size " + treeSize);
            }
            // Descend from the root to the leaf collecting siblings, then reverse to leaf-to-root order.
            List<Bytes32> path = new ArrayList<>();
            long lo = 0;
            long hi = treeSize;
            while (hi - lo > 1) {
                long mid = lo + Rfc6962.splitPoint(hi - lo);
                if (leafIndex < mid) {
                    path.add(rangeHash(mid, hi));
                    hi = mid;
                } else {
                    path.add(rangeHash(lo, mid));
                    lo = mid;
                }
            }
            Collections.reverse(path);
            return new InclusionProof(leafIndex, treeSize, path);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * RFC 9162 §2.1.4.1 PROOF(fromSize, D[0:toSize]). Empty when fromSize is 0 or equals toSize
     * (nothing to prove beyond comparing roots).
     */
    public ConsistencyProof consistencyProof(long fromSize, long toSize) {
        lock.readLock().lock();
        try {
            checkSize(toSize, "second tree size");
            if (fromSize < 0 || fromSize > toSize) {
                throw new ProofException("first tree size " + fromSize + " must be in [0, " + toSize + "]");
            }
            List<Bytes32> proof = new ArrayList<>();
            if (fromSize == 0 || fromSize == toSize) {
                return new ConsistencyProof(fromSize, toSize, proof);
            }
            // Iterative SUBPROOF(m, D[lo:hi], b): b stays true while the old tree is a left-aligned prefix
            // of the current subtree; collected root-down, then reversed.
            long lo = 0;
            long hi = toSize;
            boolean wholeOldTreeIsKnown = true;
            while (fromSize != hi) {
                long mid = lo + Rfc6962.splitPoint(hi - lo);
                if (fromSize <= mid) {
                    proof.add(rangeHash(mid, hi));
                    hi = mid;
                } else {
                    proof.add(rangeHash(lo, mid));
                    lo = mid;
                    wholeOldTreeIsKnown = false;
                }
            }
            if (!wholeOldTreeIsKnown) {
                proof.add(rangeHash(lo, hi));
            }
            Collections.reverse(proof);
            return new ConsistencyProof(fromSize, toSize, proof);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * MTH(D[lo:hi]) for a node of an RFC tree, whose {@code lo} is aligned to a power of two ≥ hi - lo:
     * the binary decomposition of hi - lo gives aligned perfect subtrees, all stored, folded right to left.
     */
    private Bytes32 rangeHash(long lo, long hi) {
        long width = hi - lo;
        Bytes32 acc = null;
        long end = hi;
        // Walk the decomposition from the smallest (rightmost) subtree leftwards.
        for (int k = 0; k < 63 && end > lo; k++) {
            if ((width >>> k & 1) != 0) {
                long start = end - (1L << k);
                Bytes32 sub = store.node(k, start >>> k);
                acc = acc == null ? sub : Rfc6962.nodeHash(sub, acc);
                end = start;
            }
        }
        return acc;
    }

    private void checkSize(long treeSize, String what) {
        if (treeSize < 0 || treeSize > size) {
            throw new ProofException(what + " " + treeSize + " outside [0, " + size + "]");
        }
    }
}
