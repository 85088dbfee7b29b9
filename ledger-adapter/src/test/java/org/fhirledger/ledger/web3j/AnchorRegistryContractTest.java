package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.b32;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.datatypes.Address;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** AnchorRegistry lives on the public chain: here a second anvil with its own chain id. */
class AnchorRegistryContractTest {
    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    private ChainFixture chain;
    private String address;
    private AnchorRegistry asOwner;
    private AnchorRegistry asAnchorer;
    private String anchorer;

    @BeforeEach
    void deploy() {
        chain = new ChainFixture(publicChain);
        anchorer = chain.account(1).getAddress();
        address = chain.deployer(0).deployAnchorRegistry(anchorer);
        asOwner = AnchorRegistry.load(address, chain.web3j, chain.tx(0), ChainFixture.GAS);
        asAnchorer = AnchorRegistry.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
    }

    @AfterEach
    void close() {
        chain.close();
    }

    @Test
    void anchorsGrowAndAreReadable() throws Exception {
        assertThat(asOwner.isAnchorer(anchorer).send()).isTrue();
        chain.assertReverts(1, address, asAnchorer.latestAnchor(), "NoAnchors");
        TransactionReceipt r = ok(asAnchorer.anchor(BigInteger.valueOf(10), b32("root-10")));
        assertThat(AnchorRegistry.getAnchorAppendedEvents(r)).singleElement().satisfies(e -> {
            assertThat(e.index).isZero();
            assertThat(e.treeSize).isEqualTo(10);
            assertThat(e.root).isEqualTo(b32("root-10"));
        });
        ok(asAnchorer.anchor(BigInteger.valueOf(25), b32("root-25")));
        assertThat(asOwner.anchorCount().send()).isEqualTo(2);
        var latest = asOwner.latestAnchor().send();
        assertThat(latest.component1()).isEqualTo(25);
        assertThat(latest.component3()).isEqualTo(b32("root-25"));
        assertThat(asOwner.anchorAt(BigInteger.ZERO).send().component3()).isEqualTo(b32("root-10"));
        chain.assertReverts(0, address, asOwner.anchorAt(BigInteger.TWO), "IndexOutOfRange");
    }

    @Test
    void treeSizeMustGrowAndRootMustBeSet() throws Exception {
        chain.assertReverts(1, address, asAnchorer.anchor(BigInteger.ZERO, b32("r")), "TreeSizeNotGrowing");
        chain.assertReverts(1, address, asAnchorer.anchor(BigInteger.ONE, new byte[32]), "ZeroRoot");
        ok(asAnchorer.anchor(BigInteger.valueOf(10), b32("root-10")));
        chain.assertReverts(1, address, asAnchorer.anchor(BigInteger.valueOf(10), b32("r")), "TreeSizeNotGrowing");
        chain.assertReverts(1, address, asAnchorer.anchor(BigInteger.valueOf(9), b32("r")), "TreeSizeNotGrowing");
    }

    @Test
    void onlyAuthorisedAnchorersAnchorAndOnlyTheOwnerAuthorises() throws Exception {
        chain.assertReverts(2, address, asAnchorer.anchor(BigInteger.ONE, b32("r")), "NotAnchorer");
        chain.assertReverts(0, address, asOwner.anchor(BigInteger.ONE, b32("r")), "NotAnchorer"); // owner too
        chain.assertReverts(1, address, asAnchorer.setAnchorer(chain.account(2).getAddress(), true), "NotOwner");
        chain.assertReverts(0, address, asOwner.setAnchorer(Address.DEFAULT.toString(), true), "ZeroAddress");
        TransactionReceipt r = ok(asOwner.setAnchorer(anchorer, false));
        assertThat(AnchorRegistry.getAnchorerSetEvents(r))
                .singleElement()
                .satisfies(e -> assertThat(e.allowed).isFalse());
        chain.assertReverts(1, address, asAnchorer.anchor(BigInteger.ONE, b32("r")), "NotAnchorer");
    }
}
