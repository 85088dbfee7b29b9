package org.fhirledger.anchor;

import java.util.Optional;
import org.fhirledger.bytes.Bytes32;

/**
 * The public chain's AnchorRegistry, as the anchorer and the verifiers see it. Reads are view calls on the
 * contract's state; {@link #publish} sends one transaction and waits for its receipt.
 */
public interface AnchorChain extends AutoCloseable {

    long chainId();

    String registryAddress();

    /** Number of anchors. */
    long anchorCount();

    /** The newest anchor, empty before the first. */
    Optional<Anchor> latest();

    /** The anchor at {@code index}. */
    Anchor anchorAt(long index);

    /** Transaction hash and block of the anchor at {@code index}, from its {@code AnchorAppended} event. */
    Optional<AnchorReceipt> receiptOf(long index);

    /**
     * Appends (treeSize, root), simulated first so a refusal surfaces as the contract's error name
     * ({@link AnchorRefusedException}, e.g. {@code TreeSizeNotGrowing}); waits for the receipt.
     *
     * @throws AnchorChainUnavailableException when the node cannot be reached or no receipt arrives in time
     */
    AnchorReceipt publish(long treeSize, Bytes32 root);

    @Override
    void close();
}
