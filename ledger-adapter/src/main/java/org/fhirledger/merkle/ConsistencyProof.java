package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/**
 * RFC 9162 consistency proof that the tree of {@code toSize} leaves extends the tree of {@code fromSize}
 * leaves (append-only: the first fromSize leaves are unchanged).
 */
public record ConsistencyProof(long fromSize, long toSize, List<Bytes32> hashes) {
    public ConsistencyProof {
        if (fromSize < 0 || toSize < 0) {
            throw new IllegalArgumentException("negative size: " + fromSize + ", " + toSize);
        }
        hashes = List.copyOf(hashes);
    }
}
