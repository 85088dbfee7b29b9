package org.fhirledger.anchor;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import org.fhirledger.anchor.web3j.Web3jAnchorChain;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.testing.AnvilExtension;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/** Test helpers: the private contracts with a connected ledger, and an AnchorRegistry on the public anvil. */
public final class AnchorTestChains {

    private AnchorTestChains() {}

    /** Deploys the private contracts with account 0 as admin and custodian. */
    public static ContractAddresses deployPrivate(AnvilExtension chain) {
        Web3j web3j = Web3j.build(new HttpService(chain.rpcUrl()));
        try {
            LedgerDeployer d = new LedgerDeployer(web3j, chain.credentials(0), chain.chainId(), BigInteger.ZERO);
            ContractAddresses c = d.deployPrivate(sha("admin"));
            d.assignRole(c, chain.credentials(0).getAddress(), Role.CUSTODIAN, sha("admin"));
            return c;
        } finally {
            web3j.shutdown();
        }
    }

    public static Web3jLedger ledger(AnvilExtension chain, ContractAddresses c) {
        return Web3jLedger.connect(
                LedgerConfig.defaults(chain.rpcUrl(), chain.chainId(), c).withBatching(50, Duration.ofMillis(20)),
                chain.credentials(0));
    }

    /** Deploys AnchorRegistry as account 0 and authorises {@code anchorer}. */
    public static String deployRegistry(AnvilExtension publicChain, String anchorer) {
        Web3j web3j = Web3j.build(new HttpService(publicChain.rpcUrl()));
        try {
            return new LedgerDeployer(web3j, publicChain.credentials(0), publicChain.chainId(), BigInteger.ZERO)
                    .deployAnchorRegistry(anchorer);
        } finally {
            web3j.shutdown();
        }
    }

    public static Web3jAnchorChain.Config config(AnvilExtension publicChain, String registry) {
        return new Web3jAnchorChain.Config(
                publicChain.rpcUrl(),
                publicChain.chainId(),
                registry,
                0,
                null,
                BigInteger.valueOf(200_000),
                Duration.ofSeconds(30),
                1000);
    }

    public static Bytes32 sha(String label) {
        try {
            return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
