package org.fhirledger.server.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.files.OwnerOnlyFiles;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerCredentials;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.fhirledger.server.security.SecurityMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Where the server's signing key and the contract addresses come from. Production: the configured key
 * ({@code ledger.key-file} or {@code ledger.key-env}) and an existing contracts file (written by the deploy job).
 * Dev mode additionally creates what is missing: a server key in {@code ${data-dir}/chain/server-key.hex}
 * (owner-only) and, when there is no contracts file, a fresh deployment with that key as first ADMIN and
 * CUSTODIAN and as the founding member of the consortium's InstitutionDirectory.
 */
public final class LedgerBootstrap {
    private static final Logger log = LoggerFactory.getLogger(LedgerBootstrap.class);
    static final String DEV_KEY_FILE = "server-key.hex";

    private LedgerBootstrap() {}

    static Credentials credentials(LedgerProperties p, SecurityMode mode, Path chainDir) {
        if (p.keyFile() != null) return LedgerCredentials.fromKeystore(p.keyFile(), p.keyPassword());
        if (p.keyEnv() != null) return LedgerCredentials.fromEnvironment(p.keyEnv());
        if (mode != SecurityMode.DEV) {
            throw new IllegalStateException("ledger.enabled=true in production mode needs the server's signing key: "
                    + "set ledger.key-file (web3j keystore) with ledger.key-password, or ledger.key-env");
        }
        return devKey(chainDir);
    }

    /** The dev server key: generated once, owner-only, reused at every start on this data directory. */
    static Credentials devKey(Path chainDir) {
        Path file = chainDir.resolve(DEV_KEY_FILE);
        try {
            OwnerOnlyFiles.createDirectory(chainDir);
            if (!Files.exists(file)) {
                String hex = Numeric.toHexStringWithPrefixZeroPadded(
                        Keys.createEcKeyPair().getPrivateKey(), 64);
                if (OwnerOnlyFiles.createIfAbsent(file, hex.getBytes(StandardCharsets.US_ASCII))) {
                    log.info("Generated the dev server ledger key in {}", file);
                }
            }
            return Credentials.create(new String(OwnerOnlyFiles.read(file), StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create or read the dev ledger key " + file + ": " + e.getMessage(), e);
        } catch (InvalidAlgorithmParameterException | NoSuchAlgorithmException | NoSuchProviderException e) {
            throw new IllegalStateException("cannot generate a secp256k1 key", e);
        }
    }

    static ContractAddresses contracts(
            LedgerProperties p, ExchangeProperties x, SecurityMode mode, Credentials server, String defaultBaseUrl) {
        Path file = p.contractsFile();
        if (Files.exists(file)) return ContractsFile.read(file, p.chainId());
        if (mode != SecurityMode.DEV) {
            throw new IllegalStateException(
                    "ledger contracts file " + file + " does not exist: in production mode "
                            + "the contracts are deployed by the deploy job, which writes this file (set ledger.contracts-file)");
        }
        log.info("No ledger contracts file at {}: deploying the contracts to {} (dev mode)", file, p.rpcUrl());
        return onDevChain(p, server, deployer -> {
            // the directory first: the consortium this server founds
            boolean founding = x.directoryAddress() == null;
            String directory = founding ? deployDirectory(deployer, x, server, defaultBaseUrl) : x.directoryAddress();
            Bytes32 identity = devIdentity(server.getAddress());
            ContractAddresses c = deployer.deployPrivate(directory, identity);
            deployer.assignRole(c, server.getAddress(), Role.CUSTODIAN, identity);
            ContractsFile.write(file, p.chainId(), c, directory);
            if (founding) ContractsFile.writeKeyRelease(file, deployKeyRelease(deployer, directory));
            log.info("Deployed the ledger contracts (AccessRegistry {}); addresses in {}", c.accessRegistry(), file);
            return c;
        });
    }

    /**
     * The consortium's InstitutionDirectory: {@code exchange.directory-address}, else the contracts file's; dev mode
     * deploys one (this server its founder) into a contracts file written before the directory existed. Empty in
     * production when neither names one (the server is then in no consortium).
     */
    static Optional<String> directory(
            LedgerProperties p, ExchangeProperties x, SecurityMode mode, Credentials server, String defaultBaseUrl) {
        if (x.directoryAddress() != null) return Optional.of(x.directoryAddress());
        Path file = p.contractsFile();
        Optional<String> named = ContractsFile.directory(file);
        if (named.isPresent() || mode != SecurityMode.DEV) return named;
        ContractAddresses c = ContractsFile.read(file, p.chainId());
        return Optional.of(onDevChain(p, server, deployer -> {
            String directory = deployDirectory(deployer, x, server, defaultBaseUrl);
            ContractsFile.write(file, p.chainId(), c, directory);
            ContractsFile.writeKeyRelease(file, deployKeyRelease(deployer, directory));
            return directory;
        }));
    }

    /**
     * The consortium's KeyRelease contract (docs/exchange.md, custodian offline): {@code exchange.key-release-address},
     * else the contracts file's (dev mode deploys it with the directory this server founds). Empty when neither names
     * one: then no data key is released or read.
     */
    static Optional<String> keyRelease(LedgerProperties p, ExchangeProperties x) {
        if (x.keyReleaseAddress() != null) return Optional.of(x.keyReleaseAddress());
        return ContractsFile.keyRelease(p.contractsFile());
    }

    private static String deployKeyRelease(LedgerDeployer deployer, String directory) {
        String address = deployer.deployKeyRelease(directory);
        log.info("Deployed the consortium's KeyRelease at {}", address);
        return address;
    }

    private static String deployDirectory(
            LedgerDeployer deployer, ExchangeProperties x, Credentials server, String defaultBaseUrl) {
        Institution self = thisInstitution(x, server, defaultBaseUrl);
        String address =
                deployer.deployInstitutionDirectory(self.organization(), self.fhirBaseUrl(), self.authKeyJwk());
        log.info("Deployed the consortium's InstitutionDirectory at {}, this server its founding member", address);
        return address;
    }

    /**
     * This institution as the directory holds it, or would once admitted: its custodian account, Organization
     * identifier ({@code exchange.organization}, dev default {@code urn:fhir-ledger:dev:<account>}), base URL and
     * public key.
     */
    static Institution thisInstitution(ExchangeProperties x, Credentials server, String defaultBaseUrl) {
        String organization = x.organization() != null
                ? x.organization()
                : "urn:fhir-ledger:dev:" + server.getAddress().toLowerCase(Locale.ROOT);
        String baseUrl = x.fhirBaseUrl() != null ? x.fhirBaseUrl() : defaultBaseUrl;
        return new Institution(
                server.getAddress().toLowerCase(Locale.ROOT), organization, baseUrl, InstitutionKey.publicJwk(server));
    }

    private static <T> T onDevChain(LedgerProperties p, Credentials server, Function<LedgerDeployer, T> work) {
        Web3j web3j = Web3j.build(new HttpService(p.rpcUrl()));
        try {
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            if (chainId != p.chainId()) throw new ChainIdMismatchException(p.chainId(), chainId, p.rpcUrl());
            return work.apply(new LedgerDeployer(web3j, server, chainId, BigInteger.ZERO));
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the ledger node at " + p.rpcUrl() + ": " + e.getMessage(), e);
        } finally {
            web3j.shutdown();
        }
    }

    /**
     * The server's identity pseudonym on chain, bound to its CUSTODIAN role: keccak256 of a fixed label and its address
     * (an institution is no person: nothing to hide, only a stable value).
     */
    public static Bytes32 devIdentity(String address) {
        return Bytes32.of(Hash.sha3(
                ("fhir-ledger dev server|" + Keys.toChecksumAddress(address)).getBytes(StandardCharsets.UTF_8)));
    }
}
