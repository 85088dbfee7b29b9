package org.fhirledger.merkle;

import java.util.List;

/** One inclusion-verification input; {@code name} says what was mutated (or "valid"). */
record InclusionCase(String name, Hash leafHash, long leafIndex, long treeSize, List<Hash> hashes, Hash rootHash) {

    void verify() throws VerificationException {
        ProofVerifier.verifyInclusion(leafHash, leafIndex, treeSize, hashes, rootHash);
    }

    InclusionCase with(String what, Hash leaf, long index, long size, List<Hash> proof, Hash root) {
        return new InclusionCase(what, leaf, index, size, proof, root);
    }
}
