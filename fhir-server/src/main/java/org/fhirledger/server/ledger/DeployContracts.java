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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.contracts.generated.InstitutionDirectory;
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
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

/**
 * The production deploy job (docker/compose.yaml, service {@code deploy-contracts}): run once before the servers,
 * as the consortium admin and, for a consortium, the founding institution's custodian. Idempotent, so it runs at
 * every {@code docker compose up}:
 * <ol>
 *   <li>private chain, consortium ({@code LEDGER_KEY_FILE} set: the founding server's keystore): deploys the
 *       InstitutionDirectory with that custodian account as its founding member (its Organization identifier, FHIR
 *       base URL and public key: {@code EXCHANGE_ORGANIZATION}, {@code EXCHANGE_FHIR_BASE_URL}, the key's JWK), then
 *       AccessRegistry (scoped to that directory), ConsentRegistry, RecordLedger and AccessLedger, all signed by that
 *       custodian account (first ADMIN, as in dev mode); without {@code LEDGER_KEY_FILE}, one institution: the four
 *       contracts without a directory, signed by the admin (first ADMIN). Writes {@code ledger.contracts-file}
 *       ({@link ContractsFile}, with {@code institutionDirectory}) unless it exists and its contracts have code on
 *       this chain; a consortium job adds a directory to an existing file that lacks one;</li>
 *   <li>gives the server's account CUSTODIAN and ADMIN (it signs {@code $assign-role}), unless it holds them
 *       already: signed by the account itself when the registry has a directory it is a member of (a member's
 *       custodian acts for its own institution), else by the admin;</li>
 *   <li>public chain (when {@code ANCHOR_RPC_URL} is set): deploys AnchorRegistry (owner = admin), authorises the
 *       anchorer accounts and writes {@code ANCHOR_CONTRACT_FILE}.</li>
 * </ol>
 * Further institutions join an existing deployment without this job: their servers start on its contracts file and
 * are admitted by governance ({@link AdmitInstitution}, or {@code $propose-admission}), then enrol themselves.
 * Settings are environment variables (the server's own names where they are the same thing):
 * {@code LEDGER_RPC_URL}, {@code LEDGER_CHAIN_ID}, {@code LEDGER_CONTRACTS_FILE}, {@code DEPLOY_ADMIN_KEY_FILE},
 * {@code DEPLOY_ADMIN_KEY_PASSWORD}, {@code DEPLOY_CONSORTIUM}, {@code DEPLOY_CUSTODIAN_ACCOUNT} (checked against
 * the keystore when both are given), {@code DEPLOY_CUSTODIAN_INSTITUTION}, {@code DEPLOY_WAIT_SECONDS} (default
 * 300), for a consortium {@code LEDGER_KEY_FILE}, {@code LEDGER_KEY_PASSWORD}, {@code EXCHANGE_ORGANIZATION},
 * {@code EXCHANGE_FHIR_BASE_URL}, and optionally {@code ANCHOR_RPC_URL}, {@code ANCHOR_CHAIN_ID},
 * {@code ANCHOR_ACCOUNT} (one address, or several separated by commas: one per server that anchors),
 * {@code ANCHOR_CONTRACT_FILE}, {@code ANCHOR_GAS_PRICE} (wei; default: the node's eth_gasPrice, and the admin
 * account must then be funded).
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
        Credentials founder = founderKey();

        String rpcUrl = required("LEDGER_RPC_URL");
        long chainId = Long.parseLong(required("LEDGER_CHAIN_ID"));
        Web3j web3j = Web3j.build(new HttpService(rpcUrl));
        try {
            awaitChain(web3j, rpcUrl, chainId, wait);
            LedgerDeployer asAdmin = new LedgerDeployer(web3j, admin, chainId, BigInteger.ZERO);
            String custodian = founder != null ? founder.getAddress() : required("DEPLOY_CUSTODIAN_ACCOUNT");
            Bytes32 identity = institutionIdentity(required("DEPLOY_CUSTODIAN_INSTITUTION"));
            ContractAddresses contracts;
            if (founder == null) {
                contracts = privateContracts(
                        web3j,
                        chainId,
                        null,
                        () -> deployPrivateContracts(
                                asAdmin, null, adminIdentity(env.getOrDefault("DEPLOY_CONSORTIUM", "fhir-ledger"))));
            } else {
                LedgerDeployer asFounder = new LedgerDeployer(web3j, founder, chainId, BigInteger.ZERO);
                String directory = institutionDirectory(web3j, asFounder, founder);
                contracts = privateContracts(
                        web3j, chainId, directory, () -> deployPrivateContracts(asFounder, directory, identity));
                keyRelease(web3j, asFounder, directory);
            }
            custodianRoles(web3j, chainId, contracts, custodian, identity, admin, founder);
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

    /** The founding server's key ({@code LEDGER_KEY_FILE}: a consortium), or null (one institution). */
    private Credentials founderKey() {
        String file = env.get("LEDGER_KEY_FILE");
        if (file == null || file.isBlank()) return null;
        Credentials founder =
                LedgerCredentials.fromKeystore(Path.of(file.trim()), env.getOrDefault("LEDGER_KEY_PASSWORD", ""));
        String named = env.get("DEPLOY_CUSTODIAN_ACCOUNT");
        if (named != null && !named.isBlank() && !named.trim().equalsIgnoreCase(founder.getAddress())) {
            throw new IllegalStateException("DEPLOY_CUSTODIAN_ACCOUNT " + named.trim() + " is not the account of "
                    + "LEDGER_KEY_FILE (" + Keys.toChecksumAddress(founder.getAddress()) + ")");
        }
        say("founding institution's custodian account " + Keys.toChecksumAddress(founder.getAddress()));
        return founder;
    }

    /**
     * The contracts file's four contracts when it exists (they must have code here), else {@code deploy}'s, written
     * to the file with the directory (null: none).
     */
    private ContractAddresses privateContracts(
            Web3j web3j, long chainId, String directory, java.util.function.Supplier<ContractAddresses> deploy)
            throws IOException {
        Path file = Path.of(required("LEDGER_CONTRACTS_FILE"));
        if (Files.exists(file)) {
            ContractAddresses c = ContractsFile.read(file, chainId);
            for (String a :
                    new String[] {c.accessRegistry(), c.consentRegistry(), c.recordLedger(), c.accessLedger()}) {
                requireCode(web3j, a, file);
            }
            say("contracts already deployed (" + file + "), AccessRegistry " + c.accessRegistry());
            if (directory != null && ContractsFile.directory(file).isEmpty()) {
                // a file of a one-institution deployment: the consortium's directory is added, as dev mode does (its
                // AccessRegistry keeps serving one institution: a registry's directory is fixed when deployed)
                ContractsFile.write(file, chainId, c, directory);
                say("InstitutionDirectory " + directory + " added to " + file);
            }
            return c;
        }
        ContractAddresses c = deploy.get();
        ContractsFile.write(file, chainId, c, directory);
        say("addresses written to " + file);
        return c;
    }

    /** AccessRegistry (scoped to the directory, null: none), ConsentRegistry, RecordLedger, AccessLedger. */
    private static ContractAddresses deployPrivateContracts(
            LedgerDeployer deployer, String directory, Bytes32 firstAdminIdentity) {
        ContractAddresses c = deployer.deployPrivate(directory, firstAdminIdentity);
        say("deployed the private contracts from block " + c.fromBlock() + ", AccessRegistry " + c.accessRegistry()
                + " (first ADMIN " + Keys.toChecksumAddress(deployer.account()) + ")");
        return c;
    }

    /**
     * The consortium's InstitutionDirectory: the contracts file's (it must have code here), else a new one whose
     * founding member is the founder's custodian account, with its Organization, base URL and public key.
     */
    private String institutionDirectory(Web3j web3j, LedgerDeployer asFounder, Credentials founder) throws Exception {
        Path file = Path.of(required("LEDGER_CONTRACTS_FILE"));
        Optional<String> named = Files.exists(file) ? ContractsFile.directory(file) : Optional.empty();
        if (named.isPresent()) {
            requireCode(web3j, named.get(), file);
            boolean member = InstitutionDirectory.load(
                            named.get(),
                            web3j,
                            new ReadonlyTransactionManager(web3j, founder.getAddress()),
                            new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO))
                    .isMember(founder.getAddress())
                    .send();
            say("InstitutionDirectory already deployed (" + file + ") at " + named.get() + "; "
                    + Keys.toChecksumAddress(founder.getAddress())
                    + (member ? " is a member" : " is NOT a member (admitted by governance, or removed)"));
            return named.get();
        }
        String organization = required("EXCHANGE_ORGANIZATION");
        String baseUrl = required("EXCHANGE_FHIR_BASE_URL");
        String address = asFounder.deployInstitutionDirectory(organization, baseUrl, InstitutionKey.publicJwk(founder));
        say("deployed the InstitutionDirectory at " + address + ", founding member "
                + Keys.toChecksumAddress(founder.getAddress()) + " (" + organization + ", " + baseUrl + ")");
        return address;
    }

    /**
     * The consortium's KeyRelease (custodian offline, docs/exchange.md): the contracts file's (it must have code
     * here), else a new one scoped to the directory, its address added to the file.
     */
    private void keyRelease(Web3j web3j, LedgerDeployer asFounder, String directory) throws Exception {
        Path file = Path.of(required("LEDGER_CONTRACTS_FILE"));
        Optional<String> named = ContractsFile.keyRelease(file);
        if (named.isPresent()) {
            requireCode(web3j, named.get(), file);
            say("KeyRelease already deployed (" + file + ") at " + named.get());
            return;
        }
        String address = asFounder.deployKeyRelease(directory);
        ContractsFile.writeKeyRelease(file, address);
        say("deployed the KeyRelease at " + address + " (members: the directory's)");
    }

    /**
     * CUSTODIAN and ADMIN for the server's account: signed by that account when the registry has a directory it is
     * a member of (a member's custodian acts for its own institution; the admin belongs to none there), else by the
     * admin.
     */
    private void custodianRoles(
            Web3j web3j,
            long chainId,
            ContractAddresses contracts,
            String custodian,
            Bytes32 identity,
            Credentials admin,
            Credentials founder)
            throws Exception {
        AccessRegistry registry = AccessRegistry.load(
                contracts.accessRegistry(),
                web3j,
                new ReadonlyTransactionManager(web3j, admin.getAddress()),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        String directory = registry.directory().send();
        boolean selfSigned = founder != null
                && !new BigInteger(Numeric.cleanHexPrefix(directory), 16).equals(BigInteger.ZERO)
                && InstitutionDirectory.load(
                                directory,
                                web3j,
                                new ReadonlyTransactionManager(web3j, custodian),
                                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO))
                        .isMember(custodian)
                        .send();
        LedgerDeployer signer = new LedgerDeployer(web3j, selfSigned ? founder : admin, chainId, BigInteger.ZERO);
        for (Role role : new Role[] {Role.CUSTODIAN, Role.ADMIN}) {
            if (registry.hasRole(custodian, BigInteger.valueOf(role.code())).send()) {
                say(role + " already held by " + custodian);
            } else {
                signer.assignRole(contracts, custodian, role, identity);
                // ADMIN because $assign-role and $revoke-role are FHIR operations the server signs
                say(role + " assigned to " + custodian + " (institution " + required("DEPLOY_CUSTODIAN_INSTITUTION")
                        + (selfSigned ? ", by itself as a member" : ", by the admin") + ")");
            }
        }
    }

    private void anchorContract(Web3j pub, Credentials admin, long chainId) throws Exception {
        Path file = Path.of(required("ANCHOR_CONTRACT_FILE"));
        List<String> anchorers = new ArrayList<>();
        for (String a : required("ANCHOR_ACCOUNT").split(",")) {
            if (!a.isBlank()) anchorers.add(a.trim());
        }
        String anchorer = anchorers.get(0);
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
            authoriseAnchorers(registry, anchorers, address);
            say("AnchorRegistry already deployed (" + file + ") at " + address);
            return;
        }
        long fromBlock = pub.ethBlockNumber().send().getBlockNumber().longValueExact();
        String address = new LedgerDeployer(pub, admin, chainId, gasPrice).deployAnchorRegistry(anchorer);
        authoriseAnchorers(
                AnchorRegistry.load(
                        address,
                        pub,
                        new RawTransactionManager(pub, admin, chainId),
                        new StaticGasProvider(gasPrice, BigInteger.valueOf(200_000))),
                anchorers,
                address);
        ObjectNode n = JSON.createObjectNode();
        n.put("chainId", chainId);
        n.put("anchorRegistry", address);
        n.put("anchorer", anchorer);
        n.put("fromBlock", fromBlock);
        Files.createDirectories(file.toAbsolutePath().getParent());
        DurableFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        say("deployed AnchorRegistry at " + address + " on chain " + chainId + "; written to " + file);
    }

    /** Each server that anchors signs with an anchorer account of its own (one nonce line per account). */
    private static void authoriseAnchorers(AnchorRegistry registry, List<String> anchorers, String address)
            throws Exception {
        for (String a : anchorers) {
            if (!registry.isAnchorer(a).send()) {
                registry.setAnchorer(a, true).send();
                say("anchorer " + a + " authorised on " + address);
            }
        }
    }

    /** Waits until the node answers, serves the expected chain and has produced a block (consensus is running). */
    static void awaitChain(Web3j web3j, String url, long chainId, Duration wait) throws InterruptedException {
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

    static void requireCode(Web3j web3j, String address, Path file) throws IOException {
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
