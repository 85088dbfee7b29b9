package org.fhirledger.merkle;

import java.util.List;
import org.fhirledger.bytes.Bytes32;

/** One inclusion-verification input; {@code name} says what was mutated (or "valid"). */
record InclusionCase(
        String name, Bytes32 leafHash, long leafIndex, long treeSize, List<Bytes32> hashes, Bytes32 rootHash) {

    void verify() throws VerificationException {
        ProofVerifier.verifyInclusion(leafHash, leafIndex, treeSize, hashes, rootHash);
    }

    InclusionCase with(String what, Bytes32 leaf, long index, long size, List<Bytes32> proof, Bytes32 root) {
        return new InclusionCase(what, leaf, index, size, proof, root);
    }
}
