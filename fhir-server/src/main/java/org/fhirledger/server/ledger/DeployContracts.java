package org.fhirledger.server.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.files.DurableFiles;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerCredentials;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * The production deploy job (docker/compose.yaml, service {@code deploy-contracts}): run once before the servers,
 * as the consortium admin. Idempotent, so it runs at every {@code docker compose up}:
 * <ol>
 *   <li>private chain: deploys AccessRegistry, ConsentRegistry, RecordLedger and AccessLedger (admin = first ADMIN)
 *       and writes {@code ledger.contracts-file} in the format the server reads ({@link ContractsFile}), unless
 *       that file exists and its contracts have code on this chain;</li>
 *   <li>gives the server's account CUSTODIAN and ADMIN (it signs {@code $assign-role}), unless it holds them
 *       already (also how a hospital is added);</li>
 *   <li>public chain (when {@code ANCHOR_RPC_URL} is set): deploys AnchorRegistry (owner = admin), authorises the
 *       anchorer account and writes {@code ANCHOR_CONTRACT_FILE}.</li>
 * </ol>
 * Settings are environment variables (the server's own names where they are the same thing):
 * {@code LEDGER_RPC_URL}, {@code LEDGER_CHAIN_ID}, {@code LEDGER_CONTRACTS_FILE}, {@code DEPLOY_ADMIN_KEY_FILE},
 * {@code DEPLOY_ADMIN_KEY_PASSWORD}, {@code DEPLOY_CONSORTIUM}, {@code DEPLOY_CUSTODIAN_ACCOUNT},
 * {@code DEPLOY_CUSTODIAN_INSTITUTION}, {@code DEPLOY_WAIT_SECONDS} (default 300), and optionally
 * {@code ANCHOR_RPC_URL}, {@code ANCHOR_CHAIN_ID}, {@code ANCHOR_ACCOUNT}, {@code ANCHOR_CONTRACT_FILE},
 * {@code ANCHOR_GAS_PRICE} (wei; default: the node's eth_gasPrice, and the admin account must then be funded).
 * Run from the server jar: {@code java -Dloader.main=org.fhirledger.server.ledger.DeployContracts -cp fhir-server.jar
 * org.springframework.boot.loader.launch.PropertiesLauncher}.
 */
public final class DeployContracts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> env;

    private DeployContracts(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        try {
            run(System.getenv());
        } catch (RuntimeException e) {
            System.err.println("deploy-contracts: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Runs the job with these settings (environment variable names). */
    public static void run(Map<String, String> env) {
        new DeployContracts(env).run();
    }

    /** The identity pseudonym an institution's CUSTODIAN account is bound to: keccak256 of a fixed label. */
    public static Bytes32 institutionIdentity(String institution) {
        return Bytes32.of(Hash.sha3(("fhir-ledger institution|" + institution).getBytes(StandardCharsets.UTF_8)));
    }

    /** The identity pseudonym of the consortium admin account. */
    public static Bytes32 adminIdentity(String consortium) {
        return Bytes32.of(Hash.sha3(("fhir-ledger consortium admin|" + consortium).getBytes(StandardCharsets.UTF_8)));
    }

    private void run() {
        Credentials admin = LedgerCredentials.fromKeystore(
                Path.of(required("DEPLOY_ADMIN_KEY_FILE")), env.getOrDefault("DEPLOY_ADMIN_KEY_PASSWORD", ""));
        Duration wait = Duration.ofSeconds(Long.parseLong(env.getOrDefault("DEPLOY_WAIT_SECONDS", "300")));
        say("admin account " + Keys.toChecksumAddress(admin.getAddress()));

        String rpcUrl = required("LEDGER_RPC_URL");
        long chainId = Long.parseLong(required("LEDGER_CHAIN_ID"));
        Web3j web3j = Web3j.build(new HttpService(rpcUrl));
        try {
            awaitChain(web3j, rpcUrl, chainId, wait);
            LedgerDeployer deployer = new LedgerDeployer(web3j, admin, chainId, BigInteger.ZERO);
            ContractAddresses contracts = privateContracts(web3j, deployer, chainId);
            String custodian = required("DEPLOY_CUSTODIAN_ACCOUNT");
            AccessRegistry registry = AccessRegistry.load(
                    contracts.accessRegistry(),
                    web3j,
                    new RawTransactionManager(web3j, admin, chainId),
                    new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(500_000)));
            if (registry.hasRole(custodian, BigInteger.valueOf(Role.CUSTODIAN.code()))
                    .send()) {
                say("CUSTODIAN already held by " + custodian);
            } else {
                String institution = required("DEPLOY_CUSTODIAN_INSTITUTION");
                deployer.assignRole(contracts, custodian, Role.CUSTODIAN, institutionIdentity(institution));
                say("CUSTODIAN assigned to " + custodian + " (institution " + institution + ")");
            }
            // $assign-role and $revoke-role are FHIR operations the server signs: its account needs ADMIN too
            if (registry.hasRole(custodian, BigInteger.valueOf(Role.ADMIN.code()))
                    .send()) {
                say("ADMIN already held by " + custodian);
            } else {
                deployer.assignRole(
                        contracts,
                        custodian,
                        Role.ADMIN,
                        institutionIdentity(required("DEPLOY_CUSTODIAN_INSTITUTION")));
                say("ADMIN assigned to " + custodian + " (it signs $assign-role and $revoke-role)");
            }
        } catch (LedgerException | IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("private chain at " + rpcUrl + ": " + e.getMessage(), e);
        } finally {
            web3j.shutdown();
        }

        String anchorUrl = env.get("ANCHOR_RPC_URL");
        if (anchorUrl == null || anchorUrl.isBlank()) {
            say("ANCHOR_RPC_URL not set: no public anchoring contract");
            return;
        }
        Web3j pub = Web3j.build(new HttpService(anchorUrl));
        try {
            long anchorChainId = Long.parseLong(required("ANCHOR_CHAIN_ID"));
            awaitChain(pub, anchorUrl, anchorChainId, wait);
            anchorContract(pub, admin, anchorChainId);
        } catch (LedgerException | IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("public chain at " + anchorUrl + ": " + e.getMessage(), e);
        } finally {
            pub.shutdown();
        }
    }

    private ContractAddresses privateContracts(Web3j web3j, LedgerDeployer deployer, long chainId) throws IOException {
        Path file = Path.of(required("LEDGER_CONTRACTS_FILE"));
        if (Files.exists(file)) {
            ContractAddresses c = ContractsFile.read(file, chainId);
            for (String a :
                    new String[] {c.accessRegistry(), c.consentRegistry(), c.recordLedger(), c.accessLedger()}) {
                requireCode(web3j, a, file);
            }
            say("contracts already deployed (" + file + "), AccessRegistry " + c.accessRegistry());
            return c;
        }
        ContractAddresses c =
                deployer.deployPrivate(adminIdentity(env.getOrDefault("DEPLOY_CONSORTIUM", "fhir-ledger")));
        ContractsFile.write(file, chainId, c, null);
        say("deployed the private contracts from block " + c.fromBlock() + ", AccessRegistry " + c.accessRegistry()
                + "; addresses written to " + file);
        return c;
    }

    private void anchorContract(Web3j pub, Credentials admin, long chainId) throws Exception {
        Path file = Path.of(required("ANCHOR_CONTRACT_FILE"));
        String anchorer = required("ANCHOR_ACCOUNT");
        // a stand-in chain with free gas says so (ANCHOR_GAS_PRICE=0); on a real chain the node suggests the price
        String fixed = env.get("ANCHOR_GAS_PRICE");
        BigInteger gasPrice = fixed == null || fixed.isBlank()
                ? pub.ethGasPrice().send().getGasPrice()
                : new BigInteger(fixed.trim());
        if (Files.exists(file)) {
            JsonNode n = JSON.readTree(file.toFile());
            if (n.path("chainId").asLong() != chainId) {
                throw new IllegalStateException(
                        file + " is for chain id " + n.path("chainId").asLong() + ", not " + chainId);
            }
            String address = n.path("anchorRegistry").asText();
            requireCode(pub, address, file);
            AnchorRegistry registry = AnchorRegistry.load(
                    address,
                    pub,
                    new RawTransactionManager(pub, admin, chainId),
                    new StaticGasProvider(gasPrice, BigInteger.valueOf(200_000)));
            if (!registry.isAnchorer(anchorer).send()) {
                registry.setAnchorer(anchorer, true).send();
                say("anchorer " + anchorer + " authorised on " + address);
            }
            say("AnchorRegistry already deployed (" + file + ") at " + address);
            return;
        }
        long fromBlock = pub.ethBlockNumber().send().getBlockNumber().longValueExact();
        String address = new LedgerDeployer(pub, admin, chainId, gasPrice).deployAnchorRegistry(anchorer);
        ObjectNode n = JSON.createObjectNode();
        n.put("chainId", chainId);
        n.put("anchorRegistry", address);
        n.put("anchorer", anchorer);
        n.put("fromBlock", fromBlock);
        Files.createDirectories(file.toAbsolutePath().getParent());
        DurableFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        say("deployed AnchorRegistry at " + address + " on chain " + chainId + "; written to " + file);
    }

    /** Waits until the node answers, serves the expected chain and has produced a block (consensus is running). */
    private static void awaitChain(Web3j web3j, String url, long chainId, Duration wait) throws InterruptedException {
        Instant deadline = Instant.now().plus(wait);
        String last = "no answer";
        while (true) {
            try {
                long served = web3j.ethChainId().send().getChainId().longValueExact();
                if (served != chainId) {
                    throw new IllegalStateException(
                            "the node at " + url + " serves chain id " + served + ", expected " + chainId);
                }
                if (web3j.ethBlockNumber().send().getBlockNumber().signum() > 0) return;
                last = "no block produced yet";
            } catch (IOException | RuntimeException e) {
                if (e instanceof IllegalStateException) throw (IllegalStateException) e;
                last = e.getMessage();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        "the chain at " + url + " is not ready after " + wait.toSeconds() + " s: " + last);
            }
            Thread.sleep(1000);
        }
    }

    private static void requireCode(Web3j web3j, String address, Path file) throws IOException {
        String code = web3j.ethGetCode(address, DefaultBlockParameterName.LATEST)
                .send()
                .getCode();
        if (code == null || code.equals("0x")) {
            throw new IllegalStateException(file + " names " + address + ", which has no code on this chain: the file "
                    + "belongs to another (or a reset) chain. Refusing to redeploy over it: restore the chain's data, or "
                    + "remove the file deliberately to start a new ledger");
        }
    }

    private String required(String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) throw new IllegalStateException(name + " is not set");
        return v.trim();
    }

    private static void say(String message) {
        System.out.println("deploy-contracts: " + message);
    }
}
