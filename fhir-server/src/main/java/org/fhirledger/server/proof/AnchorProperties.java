package org.fhirledger.server.proof;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Public anchoring and proofs, under {@code anchor.*} (docs/configuration.md). Needs {@code ledger.enabled=true}:
 * the Merkle log is built from the private chain the server records on.
 *
 * @param enabled         follow the private chain into the Merkle log, anchor it, serve $verify and $ledger-status
 * @param rpcUrl          the public chain's JSON-RPC URL
 * @param chainId         the chain id the public node must serve
 * @param registryFile    AnchorRegistry's address and deployment block (dev mode writes it on first start)
 * @param registryAddress instead of the file: AnchorRegistry's address (production)
 * @param fromBlock       with registryAddress: the registry's deployment block (where its events start)
 * @param keyFile         the anchorer's key as a web3j keystore (with keyPassword)
 * @param keyPassword     that keystore's password
 * @param keyEnv          instead: an environment variable holding the anchorer's hex private key
 * @param everyEntries    anchor as soon as this many entries are not anchored
 * @param every           anchor at least this often while entries are not anchored
 * @param confirmations   follow the private chain this many blocks behind its head
 * @param followInterval  how often the follower and anchorer run
 * @param gasPrice        public-chain gas price in wei; empty: the node's eth_gasPrice
 */
@ConfigurationProperties("anchor")
public record AnchorProperties(
        boolean enabled,
        String rpcUrl,
        Long chainId,
        Path registryFile,
        String registryAddress,
        Long fromBlock,
        Path keyFile,
        String keyPassword,
        String keyEnv,
        Integer everyEntries,
        Duration every,
        Integer confirmations,
        Duration followInterval,
        BigInteger gasPrice) {

    public AnchorProperties {
        rpcUrl = blank(rpcUrl) ? "http://127.0.0.1:8546" : rpcUrl.trim();
        chainId = chainId == null ? 31338L : chainId;
        registryAddress = blank(registryAddress) ? null : registryAddress.trim();
        fromBlock = fromBlock == null ? 0L : fromBlock;
        keyPassword = keyPassword == null ? "" : keyPassword;
        keyEnv = blank(keyEnv) ? null : keyEnv.trim();
        everyEntries = everyEntries == null ? 1000 : everyEntries;
        every = every == null ? Duration.ofMinutes(10) : every;
        confirmations = confirmations == null ? 0 : confirmations;
        followInterval = followInterval == null ? Duration.ofSeconds(1) : followInterval;
        if (chainId <= 0) throw new IllegalArgumentException("anchor.chain-id must be positive, got " + chainId);
        if (everyEntries < 1) throw new IllegalArgumentException("anchor.every-entries must be at least 1");
        if (every.isNegative() || every.isZero()) throw new IllegalArgumentException("anchor.every must be positive");
        if (confirmations < 0) throw new IllegalArgumentException("anchor.confirmations must not be negative");
        if (followInterval.isNegative() || followInterval.isZero()) {
            throw new IllegalArgumentException("anchor.follow-interval must be positive");
        }
        if (gasPrice != null && gasPrice.signum() < 0)
            throw new IllegalArgumentException("anchor.gas-price must not be negative");
        if (keyFile != null && keyEnv != null)
            throw new IllegalArgumentException("set either anchor.key-file or anchor.key-env, not both");
        if (registryAddress != null && !registryAddress.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("anchor.registry-address is not an address: " + registryAddress);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
