package org.fhirledger.server.proof;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.AnchorChainUnavailableException;
import org.fhirledger.anchor.web3j.Web3jAnchorChain;
import org.fhirledger.files.DurableFiles;
import org.fhirledger.files.OwnerOnlyFiles;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.web3j.LedgerCredentials;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.fhirledger.server.security.SecurityMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.exceptions.ClientConnectionException;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * The anchorer's key and AnchorRegistry's address. Production: {@code anchor.key-file}/{@code key-env}, and
 * {@code anchor.registry-address} or an existing registry file. Dev mode creates what is missing: a key of its own in
 * {@code ${data-dir}/public-chain/anchor-key.hex} (owner-only; not the private-chain key) and, without a registry
 * file, deploys AnchorRegistry on the public chain with that key as owner and anchorer.
 */
final class AnchorBootstrap {
    private static final Logger log = LoggerFactory.getLogger(AnchorBootstrap.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** AnchorRegistry's address and the block its events start at. */
    record Registry(String address, long fromBlock) {}

    private AnchorBootstrap() {}

    static Credentials credentials(AnchorProperties p, SecurityMode mode, Path dir) {
        if (p.keyFile() != null) return LedgerCredentials.fromKeystore(p.keyFile(), p.keyPassword());
        if (p.keyEnv() != null) return LedgerCredentials.fromEnvironment(p.keyEnv());
        if (mode != SecurityMode.DEV) {
            throw new IllegalStateException("anchor.enabled=true in production mode needs the anchorer's key: "
                    + "set anchor.key-file (web3j keystore) with anchor.key-password, or anchor.key-env");
        }
        Path file = dir.resolve("anchor-key.hex");
        try {
            OwnerOnlyFiles.createDirectory(dir);
            if (!Files.exists(file)) {
                String hex = Numeric.toHexStringWithPrefixZeroPadded(
                        Keys.createEcKeyPair().getPrivateKey(), 64);
                if (OwnerOnlyFiles.createIfAbsent(file, hex.getBytes(StandardCharsets.US_ASCII))) {
                    log.info("Generated the dev anchorer key in {}", file);
                }
            }
            return Credentials.create(new String(OwnerOnlyFiles.read(file), StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create or read the dev anchorer key " + file + ": " + e.getMessage(), e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a secp256k1 key", e);
        }
    }

    /**
     * The registry, then the web3j anchor chain on it; the public chain not answering is
     * {@link AnchorChainUnavailableException}.
     */
    static AnchorChainConnection connection(
            AnchorProperties p, SecurityMode mode, Credentials anchorer, long maxLogsRange) {
        return () -> {
            try {
                Registry r = registry(p, mode, anchorer);
                AnchorChain chain = Web3jAnchorChain.connect(
                        new Web3jAnchorChain.Config(
                                p.rpcUrl(),
                                p.chainId(),
                                r.address(),
                                r.fromBlock(),
                                p.gasPrice(),
                                BigInteger.valueOf(200_000),
                                Duration.ofMinutes(2),
                                maxLogsRange),
                        anchorer);
                return new AnchorChainConnection.Connected(r.address(), chain);
            } catch (IOException | ClientConnectionException e) {
                throw new AnchorChainUnavailableException("public chain at " + p.rpcUrl() + " unreachable: " + e, e);
            }
        };
    }

    /** The configured or recorded registry; dev mode deploys one when there is neither (needs the public chain). */
    static Registry registry(AnchorProperties p, SecurityMode mode, Credentials anchorer) throws IOException {
        if (p.registryAddress() != null) return new Registry(p.registryAddress(), p.fromBlock());
        Path file = p.registryFile();
        if (Files.exists(file)) return read(file, p.chainId());
        if (mode != SecurityMode.DEV) {
            throw new IllegalStateException(
                    "AnchorRegistry file " + file + " does not exist and anchor.registry-address "
                            + "is not set: in production mode the registry is deployed by the deploy job");
        }
        Web3j web3j = Web3j.build(new HttpService(p.rpcUrl()));
        try {
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            if (chainId != p.chainId()) throw new ChainIdMismatchException(p.chainId(), chainId, p.rpcUrl());
            long from = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            BigInteger gasPrice = p.gasPrice() != null
                    ? p.gasPrice()
                    : web3j.ethGasPrice().send().getGasPrice();
            String address =
                    new LedgerDeployer(web3j, anchorer, chainId, gasPrice).deployAnchorRegistry(anchorer.getAddress());
            ObjectNode n = JSON.createObjectNode()
                    .put("chainId", chainId)
                    .put("anchorRegistry", address)
                    .put("fromBlock", from);
            Files.createDirectories(file.toAbsolutePath().getParent());
            DurableFiles.writeAtomically(
                    file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            log.info(
                    "Deployed AnchorRegistry {} on the public chain {} (dev mode); address in {}",
                    address,
                    chainId,
                    file);
            return new Registry(address, from);
        } finally {
            web3j.shutdown();
        }
    }

    static Registry read(Path file, long expectedChainId) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the AnchorRegistry file " + file + ": " + e.getMessage(), e);
        }
        if (n == null || !n.hasNonNull("anchorRegistry") || !n.hasNonNull("chainId")) {
            throw new IllegalStateException("AnchorRegistry file " + file + " lacks \"anchorRegistry\" or \"chainId\"");
        }
        if (n.get("chainId").asLong() != expectedChainId) {
            throw new IllegalStateException("AnchorRegistry file " + file + " is for chain id "
                    + n.get("chainId").asLong() + ", but anchor.chain-id is " + expectedChainId);
        }
        return new Registry(
                n.get("anchorRegistry").asText(), n.path("fromBlock").asLong(0));
    }
}
