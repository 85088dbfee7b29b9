package org.fhirledger.anchor;

import java.util.ArrayList;
import java.util.List;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.merkle.VerificationException;
import org.fhirledger.record.CanonicalResource;

/**
 * Checks a {@code $verify} answer against the public chain alone, trusting neither the FHIR server nor the private
 * chain: it rebuilds the leaf from the answer's entry fields, reads the anchored root of the answer's tree size
 * itself from AnchorRegistry (a view call on the public chain), and checks the inclusion proof against that root.
 * Given the plaintext resource (or AuditEvent), it also recomputes its content hash and compares it with the
 * anchored entry's.
 */
public final class StandaloneVerifier {

    /** One check and whether it passed. */
    public record Check(String name, boolean passed, String detail) {}

    /** All checks; {@link #verified()} when every one passed. */
    public record Report(List<Check> checks) {
        public boolean verified() {
            return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
        }
    }

    private StandaloneVerifier() {}

    /**
     * @param answer    the $verify output
     * @param plaintext the resource JSON (as fetched from the API), or null
     * @param chain     a read-only view of the public chain's AnchorRegistry, whose address the caller got from an
     *                  independent source (the consortium's published address), not from the answer
     */
    public static Report verify(VerifyOutput answer, byte[] plaintext, AnchorChain chain) {
        List<Check> checks = new ArrayList<>();
        if (!answer.status().equals("verified") && !answer.has("anchorIndex")) {
            checks.add(new Check(
                    "anchored",
                    false,
                    "the answer's status is \"" + answer.status()
                            + "\": the entry is not anchored yet, nothing to check against the public chain"));
            return new Report(checks);
        }
        if (answer.has("anchorRegistry") && !answer.get("anchorRegistry").equalsIgnoreCase(chain.registryAddress())) {
            checks.add(new Check(
                    "registry",
                    false,
                    "the answer names AnchorRegistry " + answer.get("anchorRegistry") + ", but the given registry is "
                            + chain.registryAddress()));
        }
        if (answer.has("publicChainId") && answer.number("publicChainId") != chain.chainId()) {
            checks.add(new Check(
                    "chain id",
                    false,
                    "the answer names public chain " + answer.get("publicChainId") + ", checking against "
                            + chain.chainId()));
        }
        Bytes32 leaf = LedgerLeaf.leafHash(answer.leafBytes());
        if (answer.has("leafHash")) {
            boolean same = leaf.equals(answer.hash("leafHash"));
            checks.add(new Check(
                    "leaf",
                    same,
                    same
                            ? "leaf hash " + leaf.toHexDigits() + " rebuilt from the entry fields"
                            : "the entry fields hash to " + leaf.toHexDigits() + ", the answer claims "
                                    + answer.get("leafHash")));
        }
        long treeSize = answer.number("treeSize");
        long index = answer.number("anchorIndex");
        Anchor anchor;
        try {
            anchor = chain.anchorAt(index);
        } catch (RuntimeException e) {
            checks.add(new Check(
                    "anchor", false, "anchor #" + index + " cannot be read from the public chain: " + e.getMessage()));
            return new Report(checks);
        }
        if (anchor.treeSize() != treeSize) {
            checks.add(new Check(
                    "anchor",
                    false,
                    "anchor #" + index + " on the public chain is for tree size " + anchor.treeSize()
                            + ", the answer's proof is for " + treeSize));
            return new Report(checks);
        }
        checks.add(new Check(
                "anchor",
                true,
                "anchor #" + index + " on chain " + chain.chainId() + ": tree size " + treeSize + ", root "
                        + anchor.root().toHexDigits() + " (read from " + chain.registryAddress() + ")"));
        try {
            ProofVerifier.verifyInclusion(
                    leaf, answer.number("leafIndex"), treeSize, answer.inclusionProof(), anchor.root());
            checks.add(new Check("inclusion", true, "leaf " + answer.get("leafIndex") + " is in the anchored tree"));
        } catch (VerificationException e) {
            checks.add(new Check(
                    "inclusion", false, "the inclusion proof does not lead to the anchored root: " + e.getMessage()));
        }
        if (plaintext != null) {
            String field = answer.get("lane").equals("access") ? "auditHash" : "contentHash";
            Bytes32 computed = CanonicalResource.contentHash(plaintext);
            boolean same = computed.equals(answer.bytes32(field));
            checks.add(new Check(
                    "content",
                    same,
                    same
                            ? "the resource's canonical SHA-256 " + computed.toHex() + " is the anchored " + field
                            : "the resource hashes to " + computed.toHex() + ", the anchored " + field + " is "
                                    + answer.get(field)));
        }
        return new Report(checks);
    }
}
