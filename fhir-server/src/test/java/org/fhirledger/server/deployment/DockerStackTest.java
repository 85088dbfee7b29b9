package org.fhirledger.server.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerCredentials;
import org.fhirledger.server.exchange.SelfEnrolment;
import org.fhirledger.server.ledger.AdmitInstitution;
import org.fhirledger.server.ledger.DeployContracts;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Numeric;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What can be checked of the docker/ stack without a Docker engine. docker/setup.sh runs for real (with the key
 * generator from the test classpath) into a temporary directory; then the compose file, the generated files, the
 * server's configuration and the docs must agree, and the deploy job runs against two anvils that stand in for
 * besu-rpc and public-chain, with the compose file's own settings. When the {@code docker compose} plugin is
 * present, {@code docker compose config} must accept the file too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerStackTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path DOCKER = REPO.resolve("docker");
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");

    // Ledger-side chain ids as the compose file sets them (checked in chainIdsAgree); the anvils use them too.
    private static final long PRIVATE_CHAIN_ID = 1729;
    private static final long PUBLIC_CHAIN_ID = 31338;

    @RegisterExtension
    static final AnvilExtension privateChain = AnvilExtension.create(PRIVATE_CHAIN_ID, 1, 30_000_000);

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(PUBLIC_CHAIN_ID, 1, 30_000_000);

    @TempDir
    static Path stack;

    private Map<String, String> dotEnv;
    private Map<String, Object> compose;
    private Map<String, Map<String, Object>> services;

    @BeforeAll
    void runSetup() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = java + " -cp " + System.getProperty("java.class.path") + " " + StackKeys.class.getName();
        ProcessBuilder pb =
                new ProcessBuilder("bash", DOCKER.resolve("setup.sh").toString()).redirectErrorStream(true);
        pb.environment().put("STACK_DIR", stack.toString());
        pb.environment().put("STACK_KEYS_CMD", cmd);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("docker/setup.sh output:\n" + out).isZero();

        dotEnv = readDotEnv(stack.resolve(".env"));
        compose = loadCompose();
        services = map(compose.get("services"));
    }

    // ---------------------------------------------------------------- compose file

    @Test
    void composeParsesAndEveryReferencedFileExists() throws Exception {
        assertThat(services).isNotEmpty();
        for (var s : services.entrySet()) {
            for (String[] m : bindMounts(s.getValue())) {
                Path committed = DOCKER.resolve(m[0]).normalize();
                Path generated = stack.resolve(m[0]).normalize();
                assertThat(Files.exists(committed) || Files.exists(generated))
                        .as("service %s mounts %s, which neither docker/ has nor setup.sh generates", s.getKey(), m[0])
                        .isTrue();
                if (m[0].startsWith("./generated/") || !m[1].startsWith("/data")) {
                    // a file mount whose source is missing would become an empty directory in the container
                    Path source = Files.exists(committed) ? committed : generated;
                    if (m[1].matches(".*\\.(json|toml|sh)$") || m[1].endsWith("/key")) {
                        assertThat(source)
                                .as("service %s: %s must be a file", s.getKey(), m[0])
                                .isRegularFile();
                    }
                }
            }
            for (String named : namedVolumes(s.getValue())) {
                assertThat(map(compose.get("volumes")))
                        .as("service %s: volume %s is declared", s.getKey(), named)
                        .containsKey(named);
            }
            Object deps = s.getValue().get("depends_on");
            if (deps != null) {
                Set<String> names = deps instanceof Map<?, ?> dm ? strings(dm.keySet()) : strings((Iterable<?>) deps);
                assertThat(services.keySet())
                        .as("service %s depends on", s.getKey())
                        .containsAll(names);
            }
            for (String net : networks(s.getValue())) {
                assertThat(map(compose.get("networks")))
                        .as("service %s: network %s", s.getKey(), net)
                        .containsKey(net);
            }
        }
        assertThat(services.get("deploy-contracts").get("image"))
                .isEqualTo(services.get("fhir-server").get("image"));
        assertThat(services.get("deploy-contracts").get("build"))
                .isEqualTo(services.get("fhir-server").get("build"));
        Map<String, Object> build = map(services.get("fhir-server").get("build"));
        Path context = DOCKER.resolve((String) build.get("context")).normalize();
        Path dockerfile = context.resolve((String) build.get("dockerfile"));
        assertThat(dockerfile).isRegularFile();
        for (String line : Files.readAllLines(dockerfile)) {
            Matcher m = Pattern.compile("^COPY (?!--from)(.+) \\S+$").matcher(line.trim());
            if (m.matches()) {
                for (String src : m.group(1).split(" "))
                    assertThat(context.resolve(src)).as("Dockerfile: " + line).exists();
            }
        }
        assertThat(Files.readString(dockerfile)).contains("./mvnw");
        // the build fails without the console's libraries (fhir-server/pom.xml): the image installs them from the
        // lockfile in a Node stage and puts them where the build looks, and the context sends what that needs
        assertThat(Files.readString(dockerfile))
                .contains(
                        "COPY console/package.json console/package-lock.json ./",
                        "npm ci",
                        "COPY console/src/ console/src/",
                        "COPY --from=console /console/node_modules/ console/node_modules/");
        assertThat(Files.readAllLines(dockerfile.resolveSibling(dockerfile.getFileName() + ".dockerignore")))
                .contains("!console/package.json", "!console/package-lock.json", "!console/src/");
        // every variable the file requires (${VAR:?...}) is one setup.sh writes
        Matcher m = VAR.matcher(Files.readString(DOCKER.resolve("compose.yaml")));
        while (m.find()) {
            if ("?".equals(m.group(2)) || ":?".equals(m.group(2))) {
                assertThat(dotEnv).as("setup.sh writes %s to .env", m.group(1)).containsKey(m.group(1));
            }
        }
        // the official parser, where this machine has it (no engine is needed for `config`)
        if (run(List.of("docker", "compose", "version"), DOCKER) == 0) {
            assertThat(run(
                            List.of(
                                    "docker",
                                    "compose",
                                    "--env-file",
                                    stack.resolve(".env").toString(),
                                    "-f",
                                    DOCKER.resolve("compose.yaml").toString(),
                                    "config",
                                    "--quiet"),
                            DOCKER))
                    .isZero();
        }
    }

    @Test
    void startOrderAndHealthChecks() {
        for (var s : services.entrySet()) {
            // the one-shot jobs (restart "no") run to completion instead
            if (!"no".equals(s.getValue().get("restart"))) {
                assertThat(s.getValue())
                        .as("service %s has a health check", s.getKey())
                        .containsKey("healthcheck");
            }
        }
        assertThat(services.get("deploy-contracts").get("restart")).isEqualTo("no");
        assertThat(services.get("admit-hospital-b").get("restart")).isEqualTo("no");
        assertThat(dependsOn("admit-hospital-b")).containsEntry("deploy-contracts", "service_completed_successfully");
        assertThat(dependsOn("fhir-server-b"))
                .containsEntry("deploy-contracts", "service_completed_successfully")
                .containsEntry("postgres-b", "service_healthy")
                .containsEntry("keycloak", "service_healthy")
                .containsEntry("besu-rpc", "service_healthy");
        assertThat(dependsOn("deploy-contracts"))
                .containsEntry("besu-rpc", "service_healthy")
                .containsEntry("public-chain", "service_healthy");
        assertThat(dependsOn("fhir-server"))
                .containsEntry("deploy-contracts", "service_completed_successfully")
                .containsEntry("postgres", "service_healthy")
                .containsEntry("keycloak", "service_healthy")
                .containsEntry("besu-rpc", "service_healthy");
        assertThat(dependsOn("keycloak")).containsEntry("postgres", "service_healthy");
    }

    // ---------------------------------------------------------------- chain

    @Test
    void genesisHasTheValidatorsOfTheComposeFileAndTheServersChainId() throws Exception {
        JsonNode genesis =
                JSON.readTree(stack.resolve("generated/besu/genesis.json").toFile());
        JsonNode config = genesis.get("config");
        assertThat(config.get("chainId").asLong())
                .isEqualTo(Long.parseLong(env("fhir-server").get("LEDGER_CHAIN_ID")));
        assertThat(config.get("zeroBaseFee").asBoolean()).isTrue();
        assertThat(config.get("londonBlock").asLong()).isZero();
        assertThat(config.path("qbft").path("blockperiodseconds").asInt()).isBetween(1, 3);
        assertThat(genesis.get("mixHash").asText()).isEqualTo(StackKeys.QBFT_MIX_HASH);

        RlpList extra = (RlpList) RlpDecoder.decode(
                        Numeric.hexStringToByteArray(genesis.get("extraData").asText()))
                .getValues()
                .get(0);
        List<RlpType> fields = extra.getValues();
        assertThat(fields).hasSize(5);
        assertThat(((RlpString) fields.get(0)).getBytes()).hasSize(32);
        Set<String> inGenesis = new TreeSet<>();
        for (RlpType v : ((RlpList) fields.get(1)).getValues())
            inGenesis.add(Numeric.toHexString(((RlpString) v).getBytes()));
        assertThat(((RlpList) fields.get(2)).getValues()).as("no vote").isEmpty();
        assertThat(((RlpString) fields.get(3)).getBytes()).as("round 0").isEmpty();
        assertThat(((RlpList) fields.get(4)).getValues()).as("no seals").isEmpty();

        Set<String> validatorKeys = new TreeSet<>();
        for (var s : services.entrySet()) {
            if ("validator".equals(label(s.getValue()))) {
                validatorKeys.add("0x"
                        + Keys.getAddress(nodeKey(s.getKey()).getEcKeyPair().getPublicKey()));
            }
        }
        assertThat(validatorKeys).hasSizeGreaterThanOrEqualTo(4);
        assertThat(inGenesis).isEqualTo(validatorKeys);
    }

    @Test
    void besuNodesFreeGasPermissioningAndPeers() throws Exception {
        Map<String, String> toml = toml(DOCKER.resolve("besu/config.toml"));
        assertThat(toml)
                .containsEntry("min-gas-price", "0")
                .containsEntry("permissions-nodes-config-file-enabled", "true")
                .containsEntry("permissions-accounts-config-file-enabled", "true");
        Map<String, String> perms = toml(stack.resolve("generated/besu/permissions_config.toml"));

        Set<String> enodes = new TreeSet<>();
        List<String> ips = new ArrayList<>();
        for (var s : services.entrySet()) {
            if (label(s.getValue()) == null) continue;
            Set<String> targets = new HashSet<>();
            for (String[] m : bindMounts(s.getValue())) targets.add(m[1]);
            for (String fileKey : List.of(
                    "genesis-file",
                    "node-private-key-file",
                    "permissions-nodes-config-file",
                    "permissions-accounts-config-file",
                    "static-nodes-file",
                    "data-path")) {
                assertThat(targets)
                        .as("besu service %s mounts %s of config.toml", s.getKey(), fileKey)
                        .contains(toml.get(fileKey));
            }
            assertThat(s.getValue().get("command").toString()).contains("/config/besu.toml");
            String ip = (String) map(map(s.getValue().get("networks")).get(StackKeys.NETWORK))
                    .get("ipv4_address");
            ips.add(ip);
            enodes.add(StackKeys.enode(nodeKey(s.getKey()).getEcKeyPair().getPublicKey(), ip)
                    .replace(":" + StackKeys.P2P_PORT, ":" + toml.get("p2p-port")));
        }
        assertThat(new HashSet<>(ips)).as("distinct fixed IPs").hasSize(ips.size());
        for (String ip : ips) {
            int last = Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
            assertThat(ip).startsWith("172.28.0.");
            assertThat(last).as("fixed IPs stay below the dynamic ip_range").isBetween(2, 127);
        }
        assertThat(tomlList(perms.get("nodes-allowlist"))).containsExactlyInAnyOrderElementsOf(enodes);
        List<String> staticNodes = JSON.readValue(
                stack.resolve("generated/besu/static-nodes.json").toFile(),
                JSON.getTypeFactory().constructCollectionType(List.class, String.class));
        assertThat(staticNodes).containsExactlyInAnyOrderElementsOf(enodes);

        Set<String> accounts = new HashSet<>();
        for (String a : tomlList(perms.get("accounts-allowlist"))) accounts.add(a.toLowerCase(Locale.ROOT));
        assertThat(accounts)
                .contains(
                        dotEnv.get("ADMIN_ADDRESS").toLowerCase(Locale.ROOT),
                        dotEnv.get("SERVER_ADDRESS").toLowerCase(Locale.ROOT),
                        dotEnv.get("SERVER_B_ADDRESS").toLowerCase(Locale.ROOT));
        for (String who : List.of("admin", "server", "anchorer", "server-b", "anchorer-b")) {
            JsonNode keystore = JSON.readTree(
                    stack.resolve("generated/keys/" + who + ".json").toFile());
            assertThat("0x" + keystore.get("address").asText())
                    .isEqualToIgnoringCase(
                            dotEnv.get(who.toUpperCase(Locale.ROOT).replace('-', '_') + "_ADDRESS"));
        }
        for (String who : List.of("server", "server-b")) {
            // the public key the directory publishes is the key of that server's account
            assertThat(InstitutionKey.accountOf(Files.readString(stack.resolve("generated/keys/" + who + ".jwk"))))
                    .isEqualToIgnoringCase(
                            dotEnv.get(who.toUpperCase(Locale.ROOT).replace('-', '_') + "_ADDRESS"));
        }
        // the server's eth_getLogs window must fit the node's
        assertThat(Long.parseLong(env("fhir-server").get("LEDGER_MAX_LOGS_RANGE")))
                .isLessThanOrEqualTo(Long.parseLong(toml.get("rpc-max-logs-range")));
    }

    @Test
    void chainIdsAgree() {
        Map<String, String> server = env("fhir-server");
        Map<String, String> deploy = env("deploy-contracts");
        assertThat(server.get("LEDGER_CHAIN_ID"))
                .isEqualTo(deploy.get("LEDGER_CHAIN_ID"))
                .isEqualTo("" + PRIVATE_CHAIN_ID);
        assertThat(server.get("LEDGER_RPC_URL")).isEqualTo(deploy.get("LEDGER_RPC_URL"));
        assertThat(server.get("LEDGER_CONTRACTS_FILE")).isEqualTo(deploy.get("LEDGER_CONTRACTS_FILE"));
        List<String> cmd = stringList((List<?>) services.get("public-chain").get("command"));
        assertThat(cmd.get(cmd.indexOf("--chain-id") + 1))
                .isEqualTo(deploy.get("ANCHOR_CHAIN_ID"))
                .isEqualTo("" + PUBLIC_CHAIN_ID);
        URI anchor = URI.create(deploy.get("ANCHOR_RPC_URL"));
        assertThat(anchor.getHost()).isEqualTo("public-chain");
        assertThat("" + anchor.getPort()).isEqualTo(cmd.get(cmd.indexOf("--port") + 1));
        assertThat(cmd).contains("--gas-price", "--base-fee");
    }

    // ---------------------------------------------------------------- the server's settings

    @Test
    void serverSettingsAreDocumentedEnvironmentVariables() throws Exception {
        Map<String, String> server = env("fhir-server");
        Set<String> documented = documentedEnvNames();
        for (String service : List.of("fhir-server", "fhir-server-b")) {
            for (String name : env(service).keySet()) {
                if (name.startsWith("JAVA_")) continue;
                assertThat(documented)
                        .as("%s of %s is a setting in docs/configuration.md", name, service)
                        .contains(name);
            }
        }
        // two institutions: each its own database, account, anchorer, data; the same chains, contracts and key
        Map<String, String> b = env("fhir-server-b");
        for (String own : List.of(
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_PASSWORD",
                "LEDGER_KEY_PASSWORD",
                "ANCHOR_KEY_PASSWORD",
                "EXCHANGE_ORGANIZATION",
                "EXCHANGE_FHIR_BASE_URL",
                "FHIR_SERVER_ADDRESS")) {
            assertThat(b.get(own)).as(own).isNotBlank().isNotEqualTo(server.get(own));
        }
        for (String shared : List.of(
                "LEDGER_RPC_URL",
                "LEDGER_CHAIN_ID",
                "LEDGER_CONTRACTS_FILE",
                "ANCHOR_RPC_URL",
                "ANCHOR_REGISTRY_FILE",
                "EXCHANGE_CONSORTIUM_KEY_FILE",
                "SECURITY_ISSUER_URI")) {
            assertThat(b.get(shared)).as(shared).isNotBlank().isEqualTo(server.get(shared));
        }
        assertThat(containerEnv("fhir-server-b").get("LEDGER_KEY_FILE")).endsWith("generated/keys/server-b.json");
        assertThat(containerEnv("fhir-server-b").get("ANCHOR_KEY_FILE")).endsWith("generated/keys/anchorer-b.json");
        assertThat(containerEnv("fhir-server-b").get("EXCHANGE_CONSORTIUM_KEY_FILE"))
                .isEqualTo(containerEnv("fhir-server").get("EXCHANGE_CONSORTIUM_KEY_FILE"));
        assertThat(Path.of(containerEnv("fhir-server").get("EXCHANGE_CONSORTIUM_KEY_FILE")))
                .isRegularFile();
        URI bDb = URI.create(b.get("SPRING_DATASOURCE_URL").substring("jdbc:".length()));
        assertThat(env(bDb.getHost()).get("POSTGRES_PASSWORD")).isEqualTo(b.get("SPRING_DATASOURCE_PASSWORD"));
        assertThat(env(bDb.getHost()).get("POSTGRES_USER")).isEqualTo(b.get("SPRING_DATASOURCE_USERNAME"));
        // B's admission names B as B's server names itself
        Map<String, String> admit = env("admit-hospital-b");
        assertThat(admit.get("ADMIT_ORGANIZATION")).isEqualTo(b.get("EXCHANGE_ORGANIZATION"));
        assertThat(admit.get("ADMIT_FHIR_BASE_URL")).isEqualTo(b.get("EXCHANGE_FHIR_BASE_URL"));
        assertThat(admit.get("ADMIT_ACCOUNT")).isEqualTo(dotEnv.get("SERVER_B_ADDRESS"));
        assertThat(env("deploy-contracts").get("EXCHANGE_ORGANIZATION")).isEqualTo(server.get("EXCHANGE_ORGANIZATION"));
        assertThat(env("deploy-contracts").get("EXCHANGE_FHIR_BASE_URL"))
                .isEqualTo(server.get("EXCHANGE_FHIR_BASE_URL"));
        assertThat(server).containsEntry("SECURITY_MODE", "production").containsEntry("LEDGER_ENABLED", "true");
        assertThat(server.get("SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://");
        assertThat(server).containsKey("LEDGER_KEY_FILE").containsKey("LEDGER_KEY_PASSWORD");
    }

    @Test
    void serviceNamesAndPortsAgreeBetweenComposeServerConfigAndDocs() throws Exception {
        Map<String, String> server = env("fhir-server");
        Map<String, String> toml = toml(DOCKER.resolve("besu/config.toml"));

        URI rpc = URI.create(server.get("LEDGER_RPC_URL"));
        assertThat(label(services.get(rpc.getHost())))
                .as("LEDGER_RPC_URL names a Besu service")
                .isNotNull();
        assertThat("" + rpc.getPort()).isEqualTo(toml.get("rpc-http-port"));

        URI db = URI.create(server.get("SPRING_DATASOURCE_URL").substring("jdbc:".length()));
        assertThat(services).containsKey(db.getHost());
        assertThat(db.getPort()).isEqualTo(5432);
        String init = Files.readString(DOCKER.resolve("postgres/init-databases.sh"));
        assertThat(init)
                .contains("CREATE DATABASE " + db.getPath().substring(1) + " OWNER "
                        + server.get("SPRING_DATASOURCE_USERNAME"));
        assertThat(env("postgres").get("FHIR_DB_PASSWORD")).isEqualTo(server.get("SPRING_DATASOURCE_PASSWORD"));
        URI kcDb = URI.create(env("keycloak").get("KC_DB_URL").substring("jdbc:".length()));
        assertThat(init)
                .contains("CREATE DATABASE " + kcDb.getPath().substring(1) + " OWNER "
                        + env("keycloak").get("KC_DB_USERNAME"));

        JsonNode realm =
                JSON.readTree(DOCKER.resolve("keycloak/fhir-ledger-realm.json").toFile());
        String realmName = realm.get("realm").asText();
        URI jwks = URI.create(server.get("SECURITY_JWK_SET_URI"));
        assertThat(services).containsKey(jwks.getHost());
        assertThat(containerPorts(jwks.getHost())).contains(jwks.getPort());
        assertThat(jwks.getPath()).isEqualTo("/realms/" + realmName + "/protocol/openid-connect/certs");
        assertThat(server.get("SECURITY_ISSUER_URI"))
                .isEqualTo(env("keycloak").get("KC_HOSTNAME") + "/realms/" + realmName);

        int port = Integer.parseInt(server.get("PORT"));
        assertThat(containerPorts("fhir-server")).containsExactly(port);
        assertThat(services.get("fhir-server").get("healthcheck").toString())
                .contains("127.0.0.1:" + port + "/actuator/health/readiness");

        for (String kubo : List.of("ipfs-cluster-0", "ipfs-cluster-1", "ipfs-cluster-2")) {
            Map<String, String> e = env(kubo);
            String node = e.get("CLUSTER_IPFSHTTP_NODEMULTIADDRESS").split("/")[2];
            assertThat(services).as(kubo + " talks to").containsKey(node);
            assertThat(e.get("CLUSTER_IPFSPROXY_NODEMULTIADDRESS"))
                    .isEqualTo(e.get("CLUSTER_IPFSHTTP_NODEMULTIADDRESS"));
            assertThat(Integer.parseInt(e.get("CLUSTER_REPLICATIONFACTORMIN"))).isGreaterThanOrEqualTo(2);
            assertThat(e.get("CLUSTER_SECRET")).isEqualTo(dotEnv.get("CLUSTER_SECRET"));
        }
        for (String kubo : List.of("ipfs-0", "ipfs-1", "ipfs-2")) {
            assertThat(env(kubo)).containsEntry("LIBP2P_FORCE_PNET", "1");
            assertThat(env(kubo).get("IPFS_SWARM_KEY"))
                    .isEqualTo("/key/swarm/psk/1.0.0/\n/base16/\n" + dotEnv.get("IPFS_SWARM_KEY_HEX"));
        }

        // The deployment guide names every service and the published ports.
        String guide = Files.readString(REPO.resolve("docs/deployment.md"));
        List<String> named = new ArrayList<>(
                services.keySet().stream().map(n -> "`" + n + "`").toList());
        for (String p : List.of("fhir-server", "keycloak", "besu-rpc")) named.add("" + hostPort(p));
        named.addAll(List.of("" + PRIVATE_CHAIN_ID, "" + PUBLIC_CHAIN_ID, realmName));
        assertThat(named.stream().filter(n -> !guide.contains(n)).toList())
                .as("missing from docs/deployment.md")
                .isEmpty();
    }

    @Test
    void realmIssuesTheClaimsTheServerReads() throws Exception {
        Map<String, String> server = env("fhir-server");
        JsonNode realm =
                JSON.readTree(DOCKER.resolve("keycloak/fhir-ledger-realm.json").toFile());
        Set<String> clientIds = new HashSet<>();
        for (JsonNode client : realm.get("clients")) {
            clientIds.add(client.get("clientId").asText());
            assertThat(client.has("secret"))
                    .as("no client secret committed (%s)", client.get("clientId"))
                    .isFalse();
            if (client.path("standardFlowEnabled").asBoolean()
                    || client.path("serviceAccountsEnabled").asBoolean()) {
                Map<String, String> claims = new HashMap<>();
                String audience = null;
                // the client's own mappers and those of its default client scopes (e.g. fhirUser)
                java.util.List<JsonNode> mappers = new java.util.ArrayList<>();
                client.path("protocolMappers").forEach(mappers::add);
                Set<String> defaults = new HashSet<>();
                client.path("defaultClientScopes").forEach(n -> defaults.add(n.asText()));
                for (JsonNode scope : realm.path("clientScopes")) {
                    if (defaults.contains(scope.path("name").asText())) {
                        scope.path("protocolMappers").forEach(mappers::add);
                    }
                }
                for (JsonNode mapper : mappers) {
                    JsonNode c = mapper.get("config");
                    if (mapper.get("protocolMapper").asText().equals("oidc-usermodel-attribute-mapper")) {
                        assertThat(c.get("access.token.claim").asText()).isEqualTo("true");
                        claims.put(
                                c.get("claim.name").asText(),
                                c.get("user.attribute").asText());
                    } else if (mapper.get("protocolMapper").asText().equals("oidc-audience-mapper")) {
                        audience = c.get("included.client.audience").asText();
                    }
                }
                assertThat(claims)
                        .as(client.get("clientId").asText())
                        .containsKey(server.get("SECURITY_LEDGER_ADDRESS_CLAIM"))
                        .containsKey(server.get("SECURITY_FHIR_USER_CLAIM"));
                assertThat(audience).isEqualTo(server.get("SECURITY_AUDIENCE"));
            }
        }
        assertThat(clientIds).contains(server.get("SECURITY_AUDIENCE"), "ehr-system", "smart-app");
        // the user attributes exist in the realm's user profile, editable by administrators only
        String profile = realm.at(
                        "/components/org.keycloak.userprofile.UserProfileProvider/0/config/kc.user.profile.config/0")
                .asText();
        JsonNode attributes = JSON.readTree(profile).get("attributes");
        Set<String> adminOnly = new HashSet<>();
        for (JsonNode a : attributes) {
            if (a.at("/permissions/edit").toString().equals("[\"admin\"]"))
                adminOnly.add(a.get("name").asText());
        }
        assertThat(adminOnly).contains("ledger_address", "fhirUser");
    }

    // ---------------------------------------------------------------- deploy job and keys, for real

    @Test
    void deployJobDeploysGrantsCustodianWritesTheFilesAndIsIdempotent() throws Exception {
        // the job's main class exists where compose's entrypoint names it
        Map<String, String> deployEnv = deployEnv();
        String entrypoint = services.get("deploy-contracts").get("entrypoint").toString();
        Matcher main = Pattern.compile("-Dloader\\.main=([\\w.]+)").matcher(entrypoint);
        assertThat(main.find()).isTrue();
        assertThat(Class.forName(main.group(1))).isEqualTo(DeployContracts.class);

        DeployContracts.run(deployEnv);
        Path contractsFile = Path.of(deployEnv.get("LEDGER_CONTRACTS_FILE"));
        JsonNode contracts = JSON.readTree(contractsFile.toFile());
        assertThat(contracts.get("chainId").asLong()).isEqualTo(PRIVATE_CHAIN_ID);
        for (String k : List.of("accessRegistry", "consentRegistry", "recordLedger", "accessLedger", "fromBlock")) {
            assertThat(contracts.hasNonNull(k)).as(k).isTrue();
        }
        JsonNode anchor =
                JSON.readTree(Path.of(deployEnv.get("ANCHOR_CONTRACT_FILE")).toFile());
        assertThat(anchor.get("chainId").asLong()).isEqualTo(PUBLIC_CHAIN_ID);

        // the server opens its key with the compose settings, and that account is CUSTODIAN
        Map<String, String> serverEnv = containerEnv("fhir-server");
        assertThat(serverEnv.get("LEDGER_CONTRACTS_FILE")).isEqualTo(contractsFile.toString());
        Credentials server = LedgerCredentials.fromKeystore(
                Path.of(serverEnv.get("LEDGER_KEY_FILE")), serverEnv.get("LEDGER_KEY_PASSWORD"));
        assertThat(server.getAddress()).isEqualToIgnoringCase(dotEnv.get("SERVER_ADDRESS"));
        Web3j web3j = Web3j.build(new HttpService(privateChain.rpcUrl()));
        Web3j pub = Web3j.build(new HttpService(publicChain.rpcUrl()));
        try {
            AccessRegistry registry = AccessRegistry.load(
                    contracts.get("accessRegistry").asText(),
                    web3j,
                    new ReadonlyTransactionManager(web3j, server.getAddress()),
                    new DefaultGasProvider());
            assertThat(registry.hasRole(server.getAddress(), BigInteger.valueOf(Role.CUSTODIAN.code()))
                            .send())
                    .isTrue();
            assertThat(registry.hasRole(server.getAddress(), BigInteger.valueOf(Role.ADMIN.code()))
                            .send())
                    .as("the server signs $assign-role")
                    .isTrue();
            // the consortium: A's server account founded the directory, which scopes the registry's roles
            String directoryAddress = contracts.get("institutionDirectory").asText();
            assertThat(registry.directory().send()).isEqualToIgnoringCase(directoryAddress);
            assertThat(registry.founder().send()).isEqualToIgnoringCase(server.getAddress());
            assertThat(registry.rolesOf(dotEnv.get("ADMIN_ADDRESS")).send())
                    .as("the admin belongs to no member: it holds no role on the private chain")
                    .isZero();
            InstitutionDirectory directory = InstitutionDirectory.load(
                    directoryAddress,
                    web3j,
                    new ReadonlyTransactionManager(web3j, server.getAddress()),
                    new DefaultGasProvider());
            assertThat(directory.isMember(server.getAddress()).send()).isTrue();
            var founder = directory.memberOf(server.getAddress()).send();
            assertThat(founder.component1()).isTrue();
            assertThat(founder.component2()).isEqualTo(serverEnv.get("EXCHANGE_ORGANIZATION"));
            assertThat(founder.component3()).isEqualTo(serverEnv.get("EXCHANGE_FHIR_BASE_URL"));
            assertThat(new String(founder.component4(), StandardCharsets.UTF_8))
                    .isEqualTo(InstitutionKey.publicJwk(server));
            // the consortium's KeyRelease (custodian offline), deployed beside the directory
            assertThat(contracts.hasNonNull("keyRelease")).isTrue();
            assertThat(web3j.ethGetCode(contracts.get("keyRelease").asText(), DefaultBlockParameterName.LATEST)
                            .send()
                            .getCode())
                    .isNotEqualTo("0x");
            AnchorRegistry anchors = AnchorRegistry.load(
                    anchor.get("anchorRegistry").asText(),
                    pub,
                    new ReadonlyTransactionManager(pub, server.getAddress()),
                    new DefaultGasProvider());
            assertThat(anchors.isAnchorer(dotEnv.get("ANCHORER_ADDRESS")).send())
                    .isTrue();
            assertThat(anchors.isAnchorer(dotEnv.get("ANCHORER_B_ADDRESS")).send())
                    .isTrue();

            // a second `docker compose up` reuses everything
            String before = Files.readString(contractsFile);
            DeployContracts.run(deployEnv);
            assertThat(Files.readString(contractsFile)).isEqualTo(before);
        } finally {
            web3j.shutdown();
            pub.shutdown();
        }
    }

    /**
     * Hospital B joins the deployment without deploying anything: its server starts on the contracts file with its
     * own key and the shared consortium key (the compose settings; dev mode, as no IdP runs here), is no member, and
     * enrols itself once admit-hospital-b's vote (hospital A's) admitted it.
     */
    @Test
    void theSecondHospitalIsAdmittedByGovernanceAndEnrolsItself() throws Exception {
        DeployContracts.run(deployEnv()); // whichever test runs first deploys; the job is idempotent
        Map<String, String> admit = containerEnv("admit-hospital-b");
        String entrypoint = services.get("admit-hospital-b").get("entrypoint").toString();
        Matcher main = Pattern.compile("-Dloader\\.main=([\\w.]+)").matcher(entrypoint);
        assertThat(main.find()).isTrue();
        assertThat(Class.forName(main.group(1))).isEqualTo(AdmitInstitution.class);
        admit.put("LEDGER_RPC_URL", privateChain.rpcUrl());
        admit.put("DEPLOY_WAIT_SECONDS", "60");
        // only a member votes, and only for a key that is the admitted account's
        Map<String, String> notAMember = new HashMap<>(admit);
        notAMember.put(
                "LEDGER_KEY_FILE", stack.resolve("generated/keys/anchorer.json").toString());
        notAMember.put("LEDGER_KEY_PASSWORD", dotEnv.get("ANCHORER_KEY_PASSWORD"));
        assertThatThrownBy(() -> AdmitInstitution.run(notAMember)).hasMessageContaining("no member");
        Map<String, String> otherKey = new HashMap<>(admit);
        otherKey.put(
                "ADMIT_AUTH_KEY_FILE",
                stack.resolve("generated/keys/server.jwk").toString());
        assertThatThrownBy(() -> AdmitInstitution.run(otherKey)).hasMessageContaining("is not the account");

        Map<String, String> b = containerEnv("fhir-server-b");
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "hospital-b-");
        try (PipelineServer server = PipelineServer.start(
                data,
                privateChain.rpcUrl(),
                PRIVATE_CHAIN_ID,
                "--ledger.contracts-file=" + b.get("LEDGER_CONTRACTS_FILE"),
                "--ledger.key-file=" + b.get("LEDGER_KEY_FILE"),
                "--ledger.key-password=" + b.get("LEDGER_KEY_PASSWORD"),
                "--exchange.consortium-key-file=" + b.get("EXCHANGE_CONSORTIUM_KEY_FILE"),
                "--exchange.encryption-key-file=" + b.get("EXCHANGE_ENCRYPTION_KEY_FILE"),
                "--exchange.organization=" + b.get("EXCHANGE_ORGANIZATION"),
                "--exchange.fhir-base-url=" + b.get("EXCHANGE_FHIR_BASE_URL"),
                "--exchange.cache-ttl=0s")) {
            Ledger ledger = server.ledger();
            SelfEnrolment enrolment = server.ctx.getBean(SelfEnrolment.class);
            assertThat(ledger.account()).isEqualToIgnoringCase(dotEnv.get("SERVER_B_ADDRESS"));
            assertThat(enrolment.enrolled()).isFalse();
            assertThat(ledger.rolesOf(ledger.account())).isEmpty();

            assertThat(AdmitInstitution.run(admit))
                    .as("A alone is the majority")
                    .isTrue();
            PipelineServer.await(enrolment::enrolled, Duration.ofSeconds(30), "B did not enrol itself");
            assertThat(ledger.rolesOf(ledger.account())).contains(Role.CUSTODIAN);
            assertThat(ledger.institutionOf(ledger.account()))
                    .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(ledger.account()));
            // once a member, B publishes the encryption key setup.sh generated for it (data keys are sealed to it)
            KeyReleaseLedger releases = server.ctx.getBean(KeyReleaseLedger.class);
            byte[] generated = MemberEncryptionKey.open(Path.of(b.get("EXCHANGE_ENCRYPTION_KEY_FILE")), false)
                    .publicKeyset();
            PipelineServer.await(
                    () -> releases.publishedKey(ledger.account())
                            .map(k -> java.util.Arrays.equals(k, generated))
                            .orElse(false),
                    Duration.ofSeconds(30),
                    "B did not publish its encryption key");
            assertThat(AdmitInstitution.run(admit))
                    .as("a second run finds B a member")
                    .isTrue();
        }
    }

    /** The deploy job's compose settings, with the two anvils in place of besu-rpc and public-chain. */
    private Map<String, String> deployEnv() {
        Map<String, String> env = containerEnv("deploy-contracts");
        env.put("LEDGER_RPC_URL", privateChain.rpcUrl());
        env.put("ANCHOR_RPC_URL", publicChain.rpcUrl());
        env.put("DEPLOY_WAIT_SECONDS", "60");
        return env;
    }

    @Test
    void setupRefusesToOverwriteKeys() throws Exception {
        ProcessBuilder pb =
                new ProcessBuilder("bash", DOCKER.resolve("setup.sh").toString()).redirectErrorStream(true);
        pb.environment().put("STACK_DIR", stack.toString());
        pb.environment().put("STACK_KEYS_CMD", "false");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(out).contains("never regenerated");
        // secrets and keys are owner-only
        for (String f : List.of(".env", "generated/keys/server.json", "generated/besu/besu-validator-1/key")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.resolve(f))))
                    .as(f)
                    .isEqualTo("rw-------");
        }
    }

    // ---------------------------------------------------------------- helpers

    private Map<String, Object> loadCompose() throws IOException {
        Object tree = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(DOCKER.resolve("compose.yaml")));
        return map(interpolate(tree));
    }

    /** Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
    private Object interpolate(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), interpolate(v)));
            return out;
        }
        if (node instanceof List<?> l) return l.stream().map(this::interpolate).toList();
        if (!(node instanceof String s)) return node;
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = dotEnv.get(m.group(1));
            String op = m.group(2);
            if (op != null && op.endsWith("-") && (value == null || (op.startsWith(":") && value.isEmpty())))
                value = m.group(3);
            if (value == null) throw new AssertionError("compose needs " + m.group(1) + ": " + m.group(3));
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString().replace("$$", "$");
    }

    private Map<String, String> env(String service) {
        Object e = services.get(service).get("environment");
        Map<String, String> out = new LinkedHashMap<>();
        if (e instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        if (e instanceof List<?> l) {
            for (Object o : l) {
                String kv = o.toString();
                out.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        return out;
    }

    /** A service's environment with the container paths of its bind mounts replaced by the host files. */
    private Map<String, String> containerEnv(String service) {
        Map<String, String> env = env(service);
        List<String[]> mounts = bindMounts(services.get(service));
        env.replaceAll((k, v) -> {
            for (String[] m : mounts) {
                if (v.equals(m[1]) || v.startsWith(m[1] + "/")) {
                    Path host = m[0].startsWith("./generated/") || m[0].startsWith("./data/") ? stack : DOCKER;
                    return host.resolve(m[0]).normalize() + v.substring(m[1].length());
                }
            }
            return v;
        });
        return env;
    }

    private Map<String, String> dependsOn(String service) {
        Map<String, String> out = new HashMap<>();
        map(services.get(service).get("depends_on"))
                .forEach((k, v) -> out.put(k, String.valueOf(map(v).get("condition"))));
        return out;
    }

    private static List<String[]> bindMounts(Map<String, Object> service) {
        List<String[]> out = new ArrayList<>();
        if (service.get("volumes") instanceof List<?> l) {
            for (Object o : l) {
                String[] parts = o.toString().split(":");
                if (parts[0].startsWith(".") || parts[0].startsWith("/")) out.add(new String[] {parts[0], parts[1]});
            }
        }
        return out;
    }

    private static List<String> namedVolumes(Map<String, Object> service) {
        List<String> out = new ArrayList<>();
        if (service.get("volumes") instanceof List<?> l) {
            for (Object o : l) {
                String src = o.toString().split(":")[0];
                if (!src.startsWith(".") && !src.startsWith("/")) out.add(src);
            }
        }
        return out;
    }

    private static Set<String> networks(Map<String, Object> service) {
        Object n = service.get("networks");
        if (n instanceof Map<?, ?> m) return strings(m.keySet());
        if (n instanceof List<?> l) return strings((Iterable<?>) l);
        return Set.of();
    }

    private List<Integer> containerPorts(String service) {
        List<Integer> out = new ArrayList<>();
        if (services.get(service).get("ports") instanceof List<?> l) {
            for (Object o : l) {
                String p = o.toString();
                out.add(Integer.parseInt(p.substring(p.lastIndexOf(':') + 1)));
            }
        }
        return out;
    }

    /** The default host port a service publishes (its first ports entry, after substitution). */
    private int hostPort(String service) {
        String p = ((List<?>) services.get(service).get("ports")).get(0).toString();
        String[] parts = p.split(":");
        return Integer.parseInt(parts[parts.length - 2]);
    }

    private static String label(Map<String, Object> service) {
        return service != null && service.get("labels") instanceof Map<?, ?> l && l.get(StackKeys.BESU_LABEL) != null
                ? l.get(StackKeys.BESU_LABEL).toString()
                : null;
    }

    private Credentials nodeKey(String service) throws IOException {
        return Credentials.create(Files.readString(stack.resolve("generated/besu/" + service + "/key"))
                .trim());
    }

    /** Setting names of docs/configuration.md as environment variables (relaxed binding), and ${VAR} defaults. */
    private static Set<String> documentedEnvNames() throws IOException {
        String doc = Files.readString(REPO.resolve("docs/configuration.md"));
        Set<String> out = new HashSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z][a-z0-9.-]*)`(?: / `?([a-z][a-z0-9.-]*)`?)?")
                .matcher(doc);
        while (row.find()) {
            String key = row.group(1);
            out.add(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            if (row.group(2) != null) {
                String prefix = key.substring(0, key.lastIndexOf('.') + 1);
                out.add((prefix + row.group(2))
                        .toUpperCase(Locale.ROOT)
                        .replace('.', '_')
                        .replace('-', '_'));
            }
        }
        Matcher placeholder = Pattern.compile("\\$\\{([A-Z_]+):").matcher(doc);
        while (placeholder.find()) out.add(placeholder.group(1));
        return out;
    }

    private static Map<String, String> toml(Path file) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            line = line.trim();
            if (line.isEmpty() || line.startsWith("#") || !line.contains("=")) continue;
            String v = line.substring(line.indexOf('=') + 1).trim();
            if (v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
            out.put(line.substring(0, line.indexOf('=')).trim(), v);
        }
        return out;
    }

    private static List<String> tomlList(String value) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(value);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static Map<String, String> readDotEnv(Path file) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            out.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, T> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, T>) o;
    }

    private static Set<String> strings(Iterable<?> values) {
        Set<String> out = new HashSet<>();
        for (Object v : values) out.add(String.valueOf(v));
        return out;
    }

    private static List<String> stringList(List<?> values) {
        return values.stream().map(String::valueOf).toList();
    }

    private static int run(List<String> command, Path dir) {
        try {
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(2, TimeUnit.MINUTES) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
