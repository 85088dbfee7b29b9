package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/** One consistency-verification input; {@code name} says what was mutated (or "valid"). */
record ConsistencyCase(String name, long size1, long size2, Bytes32 root1, Bytes32 root2, List<Bytes32> hashes) {

    void verify() throws VerificationException {
        ProofVerifier.verifyConsistency(size1, size2, root1, root2, hashes);
    }
}
