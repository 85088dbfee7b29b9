package org.fhirledger.merkle;

import java.util.List;

/** One consistency-verification input; {@code name} says what was mutated (or "valid"). */
record ConsistencyCase(String name, long size1, long size2, Hash root1, Hash root2, List<Hash> hashes) {

    void verify() throws VerificationException {
        ProofVerifier.verifyConsistency(size1, size2, root1, root2, hashes);
    }
}
