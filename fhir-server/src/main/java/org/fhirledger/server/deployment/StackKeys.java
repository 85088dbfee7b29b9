package org.fhirledger.server.deployment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.server.ledger.InstitutionKey;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;
import org.web3j.crypto.WalletFile;
import org.web3j.rlp.RlpEncoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;
import org.web3j.utils.Numeric;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Generates the key material and the network files of the docker/ stack at setup time (run by docker/setup.sh,
 * never at build time; nothing it writes is committed):
 * <ul>
 *   <li>a node key per Besu service of the compose file (services labelled {@code org.fhirledger.besu-node}:
 *       {@code validator} or {@code member}), its enode at the service's fixed IP;</li>
 *   <li>the QBFT genesis: the committed template with {@code extraData} = RLP([32 zero bytes, [validator
 *       addresses], [], round 0, []]), the validators being the {@code validator} services;</li>
 *   <li>the local permissioning file (nodes and accounts allowlists) and the static-nodes file;</li>
 *   <li>the admin account and, for each of the two institutions of the stack (A: {@code SERVER}, {@code ANCHORER};
 *       B: {@code SERVER_B}, {@code ANCHORER_B}), its server's (custodian) and anchorer accounts, as web3j
 *       keystores with random passwords, and each server's public key as the JWK the directory publishes
 *       ({@code keys/server.jwk}, {@code keys/server-b.jwk}: not secret);</li>
 *   <li>the consortium pseudonym key both servers share ({@code consortium/consortium-key.hex});</li>
 *   <li>{@code .env}: the passwords and secrets for compose (PostgreSQL, Keycloak, keystores, IPFS swarm key,
 *       IPFS Cluster secret) and the accounts' addresses.</li>
 * </ul>
 * Refuses to overwrite: existing keys are never replaced.
 *
 * <pre>StackKeys COMPOSE_FILE GENESIS_TEMPLATE OUT_DIR ENV_FILE</pre>
 */
public final class StackKeys {

    /** The compose label that marks a Besu node and its role. */
    public static final String BESU_LABEL = "org.fhirledger.besu-node";
    /** The compose network the Besu nodes have fixed addresses on. */
    public static final String NETWORK = "ledger";

    public static final int P2P_PORT = 30303;
    /** QBFT's mixHash, fixed by the protocol. */
    static final String QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A Besu node of the compose file. */
    public record BesuNode(String service, String role, String ip) {
        public boolean validator() {
            return "validator".equals(role);
        }
    }

    private StackKeys() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: StackKeys COMPOSE_FILE GENESIS_TEMPLATE OUT_DIR ENV_FILE");
            System.exit(2);
        }
        try {
            generate(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
        } catch (IllegalStateException e) {
            System.err.println("setup: " + e.getMessage());
            System.exit(1);
        }
    }

    /** The Besu services of a compose file, in file order. */
    @SuppressWarnings("unchecked")
    public static List<BesuNode> besuNodes(Path composeFile) throws IOException {
        Map<String, Object> compose;
        try (Reader r = Files.newBufferedReader(composeFile)) {
            compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        }
        List<BesuNode> nodes = new ArrayList<>();
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            Object labels = s.get("labels");
            if (!(labels instanceof Map<?, ?> l) || l.get(BESU_LABEL) == null) continue;
            String role = String.valueOf(l.get(BESU_LABEL));
            if (!role.equals("validator") && !role.equals("member")) {
                throw new IllegalStateException("service " + e.getKey() + ": label " + BESU_LABEL
                        + " must be validator or member, not " + role);
            }
            Object ip = null;
            if (s.get("networks") instanceof Map<?, ?> nets && nets.get(NETWORK) instanceof Map<?, ?> net) {
                ip = net.get("ipv4_address");
            }
            if (ip == null) {
                throw new IllegalStateException("Besu service " + e.getKey() + " needs a fixed ipv4_address on network "
                        + NETWORK + " (enode URLs in the allowlist name IP addresses)");
            }
            nodes.add(new BesuNode(e.getKey(), role, ip.toString()));
        }
        return nodes;
    }

    public static void generate(Path composeFile, Path genesisTemplate, Path out, Path envFile) throws Exception {
        List<BesuNode> nodes = besuNodes(composeFile);
        long validators = nodes.stream().filter(BesuNode::validator).count();
        if (validators < 4) {
            throw new IllegalStateException(
                    "QBFT needs at least 4 validators to tolerate one faulty node; the compose file has " + validators);
        }
        if (Files.exists(out.resolve("besu")) || Files.exists(out.resolve("keys")) || Files.exists(envFile)) {
            throw new IllegalStateException("key material already exists in " + out + " or " + envFile
                    + ": refusing to overwrite it (move it away to start a new network)");
        }
        Path besu = ownerOnlyDir(out.resolve("besu"));
        Path keys = ownerOnlyDir(out.resolve("keys"));

        List<String> enodes = new ArrayList<>();
        List<byte[]> validatorAddresses = new ArrayList<>();
        for (BesuNode n : nodes) {
            ECKeyPair k = Keys.createEcKeyPair();
            Path dir = ownerOnlyDir(besu.resolve(n.service()));
            writeOwnerOnly(dir.resolve("key"), Numeric.toHexStringWithPrefixZeroPadded(k.getPrivateKey(), 64));
            enodes.add(enode(k.getPublicKey(), n.ip()));
            if (n.validator()) validatorAddresses.add(Numeric.hexStringToByteArray(Keys.getAddress(k.getPublicKey())));
        }

        // Besu orders validators by address; the genesis lists them the same way.
        validatorAddresses.sort(
                (a, b) -> HexFormat.of().formatHex(a).compareTo(HexFormat.of().formatHex(b)));
        ObjectNode genesis = (ObjectNode) JSON.readTree(genesisTemplate.toFile());
        genesis.put("extraData", qbftExtraData(validatorAddresses));
        writeShared(
                besu.resolve("genesis.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(genesis) + "\n");
        writeShared(
                besu.resolve("static-nodes.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(enodes) + "\n");

        Map<String, String> env = new LinkedHashMap<>();
        env.put("# Generated by docker/setup.sh", null);
        env.put("# Secrets: keep this file owner-only, back it up with generated/ (docs/deployment.md)", null);
        String[] accounts = {"ADMIN", "SERVER", "ANCHORER", "SERVER_B", "ANCHORER_B"};
        List<String> allowed = new ArrayList<>();
        for (String a : accounts) {
            String password = randomHex(32);
            ECKeyPair k = Keys.createEcKeyPair();
            WalletFile wallet = Wallet.createStandard(password, k);
            String name = a.toLowerCase(Locale.ROOT).replace('_', '-');
            writeOwnerOnly(keys.resolve(name + ".json"), JSON.writeValueAsString(wallet));
            String address = Keys.toChecksumAddress(Keys.getAddress(k.getPublicKey()));
            env.put(a + "_ADDRESS", address);
            env.put(a + "_KEY_PASSWORD", password);
            // anchorers send on the public chain only
            if (!a.startsWith("ANCHORER")) allowed.add(address);
            if (a.startsWith("SERVER")) {
                // what the directory publishes of the server: the admission of B names it (not secret)
                writeOwnerOnly(keys.resolve(name + ".jwk"), InstitutionKey.publicJwk(Credentials.create(k)) + "\n");
                // the key pair released data keys are sealed to (custodian offline), apart from the signing key
                MemberEncryptionKey.open(keys.resolve(name + "-encryption.json"), true);
            }
        }
        Path consortium = ownerOnlyDir(out.resolve("consortium"));
        writeOwnerOnly(consortium.resolve("consortium-key.hex"), randomHex(32) + "\n");
        writeShared(
                besu.resolve("permissions_config.toml"),
                "# Generated by docker/setup.sh: Besu local permissioning (every node loads the same file).\n"
                        + "# Accounts allowed to send transactions: the consortium admin and the servers (CUSTODIAN).\n"
                        + "accounts-allowlist=" + tomlList(allowed) + "\n"
                        + "# Nodes allowed to connect: every Besu node of the stack.\n"
                        + "nodes-allowlist=" + tomlList(enodes) + "\n");

        env.put("POSTGRES_PASSWORD", randomHex(24));
        env.put("FHIR_DB_PASSWORD", randomHex(24));
        env.put("FHIR_B_DB_PASSWORD", randomHex(24));
        env.put("KEYCLOAK_DB_PASSWORD", randomHex(24));
        env.put("KEYCLOAK_ADMIN_PASSWORD", randomHex(24));
        env.put("IPFS_SWARM_KEY_HEX", randomHex(32));
        env.put("CLUSTER_SECRET", randomHex(32));
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(v == null ? k : k + "=" + v).append('\n'));
        writeOwnerOnly(envFile, sb.toString());
    }

    /** Besu's QBFT genesis extraData: RLP([vanity 32 bytes, [validators], vote: [], round: 0, seals: []]). */
    public static String qbftExtraData(List<byte[]> validators) {
        List<RlpType> v = new ArrayList<>();
        for (byte[] a : validators) v.add(RlpString.create(a));
        RlpList extra = new RlpList(
                RlpString.create(new byte[32]),
                new RlpList(v),
                new RlpList(),
                RlpString.create(BigInteger.ZERO),
                new RlpList());
        return Numeric.toHexString(RlpEncoder.encode(extra));
    }

    public static String enode(BigInteger publicKey, String ip) {
        return "enode://" + Numeric.toHexStringNoPrefixZeroPadded(publicKey, 128) + "@" + ip + ":" + P2P_PORT;
    }

    private static String tomlList(List<String> values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++)
            sb.append(i == 0 ? "" : ",").append('"').append(values.get(i)).append('"');
        return sb.append(']').toString();
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static Path ownerOnlyDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }

    private static void writeShared(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
