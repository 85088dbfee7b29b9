package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/** Test decorator: counts reads, and can be told to fail the next append (a crashed database write). */
final class CountingHashStore implements HashStore {

    private final HashStore delegate;
    long reads;
    long nodesWritten;
    boolean failNextAppend;

    CountingHashStore(HashStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public long leafCount() {
        return delegate.leafCount();
    }

    @Override
    public Bytes32 node(int level, long index) {
        reads++;
        return delegate.node(level, index);
    }

    @Override
    public void append(List<StoredNode> nodes) {
        if (failNextAppend) {
            failNextAppend = false;
            throw new IllegalStateException("simulated storage failure");
        }
        delegate.append(nodes);
        nodesWritten += nodes.size();
    }
}
