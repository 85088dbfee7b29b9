package org.fhirledger.server.dev;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.files.DurableFiles;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.fhirledger.server.ledger.ContractsFile;
import org.fhirledger.server.security.CallerClaims;
import org.fhirledger.server.security.DevIssuer;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Dev mode only: dev users hold their role on the local chain. The server gives the dev ADMIN account (derived from
 * the dev issuer secret, like every dev account) the ADMIN role at start-up and writes where the chain is
 * ({@code chain/dev-ledger.properties}); bin/dev-token then assigns the requested role itself, signing as that dev
 * ADMIN, bound to the pseudonym of the fhirUser (or, without one, to a fixed label of the address).
 */
public final class DevLedgerRoles {

    static final String FILE = "dev-ledger.properties";

    private DevLedgerRoles() {}

    /**
     * Server side, dev mode: the dev ADMIN holds ADMIN (once this server is enrolled in its institution: a server the
     * consortium has not admitted yet can give no role, {@link #enrolAdmin} follows its self-enrolment); the chain's
     * coordinates are written for bin/dev-token.
     */
    public static void prepare(Path dataDir, DirectoryLedger ledger, String rpcUrl, long chainId, Path contractsFile) {
        if (ledger.hasRole(ledger.account(), Role.CUSTODIAN)) enrolAdmin(dataDir, ledger);
        Properties p = new Properties();
        p.setProperty("rpc-url", rpcUrl);
        p.setProperty("chain-id", Long.toString(chainId));
        p.setProperty("contracts-file", contractsFile.toAbsolutePath().toString());
        try {
            java.io.StringWriter text = new java.io.StringWriter();
            p.store(text, "Written by the FHIR server in dev mode, read by bin/dev-token. Do not edit.");
            Files.createDirectories(dataDir.resolve("chain"));
            DurableFiles.writeAtomically(
                    dataDir.resolve("chain").resolve(FILE), text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + FILE + ": " + e.getMessage(), e);
        }
    }

    /** Server side, dev mode: the dev ADMIN (its account derived from this data directory's secret) holds ADMIN. */
    public static void enrolAdmin(Path dataDir, DirectoryLedger ledger) {
        DevIssuer issuer = DevIssuer.loadOrCreate(dataDir);
        String admin = DevLedgerKeys.address(issuer.addressSecret(), Role.ADMIN, null);
        if (!ledger.hasRole(admin, Role.ADMIN)) {
            ledger.assignRole(admin, Role.ADMIN, labelIdentity(admin));
        }
    }

    /**
     * bin/dev-token side: makes sure the account holds the role; returns what it did (for the user), or throws
     * IllegalStateException saying why it cannot.
     */
    public static String ensure(Path dataDir, Role role, String fhirUser, String address) throws IOException {
        Path file = dataDir.resolve("chain").resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return "no local chain known for this data directory (server started without the ledger?): role not assigned on chain";
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        long chainId = Long.parseLong(p.getProperty("chain-id"));
        ContractAddresses contracts = ContractsFile.read(Path.of(p.getProperty("contracts-file")), chainId);
        Credentials admin = DevLedgerKeys.credentials(DevIssuer.load(dataDir).addressSecret(), Role.ADMIN, null);
        Bytes32 identity = fhirUser == null
                ? labelIdentity(address)
                : Bytes32.of(Pseudonymizer.fromDataDir(dataDir).pseudonym(CallerClaims.relative(fhirUser)));
        Web3j web3j = Web3j.build(new HttpService(p.getProperty("rpc-url")));
        try {
            var registry = org.fhirledger.contracts.generated.AccessRegistry.load(
                    contracts.accessRegistry(),
                    web3j,
                    admin,
                    new org.web3j.tx.gas.StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(500_000)));
            BigInteger code = BigInteger.valueOf(role.code());
            if (registry.hasRole(address, code).send()) return "already holds " + role + " on chain";
            if (!registry.hasRole(admin.getAddress(), BigInteger.valueOf(Role.ADMIN.code()))
                    .send()) {
                // the server started on a consortium's contracts and is not admitted yet: nobody here holds a role
                return "this server is not enrolled in the consortium yet (not admitted): " + role
                        + " not assigned on chain; the token works for $membership-request, and for the role once"
                        + " the server is admitted and this is run again";
            }
            new LedgerDeployer(web3j, admin, chainId, BigInteger.ZERO).assignRole(contracts, address, role, identity);
            return "assigned " + role + " on chain" + (fhirUser == null ? "" : ", bound to " + fhirUser);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "the local chain at " + p.getProperty("rpc-url") + " does not answer: " + "is bin/run running?", e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not assign " + role + " on chain: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalStateException("could not read roles from the chain: " + e.getMessage(), e);
        } finally {
            web3j.shutdown();
        }
    }

    /** The identity of a dev account without fhirUser: keccak256 of a fixed label and its address. */
    static Bytes32 labelIdentity(String address) {
        return Bytes32.of(Hash.sha3(
                ("fhir-ledger dev user|" + Keys.toChecksumAddress(address)).getBytes(StandardCharsets.UTF_8)));
    }
}
