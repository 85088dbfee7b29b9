package org.fhirledger.server.ledger;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.ledger.web3j.LedgerCredentials;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tuples.generated.Tuple4;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * One member's vote for admitting an institution to an existing consortium, on chain, as a one-shot job (docker/
 * compose.yaml, service {@code admit-hospital-b}): what {@code $propose-admission} and {@code $approve-proposal} do,
 * for a stack whose first human admin does not exist yet. Signed by a member's custodian key (its server's keystore).
 * Idempotent: nothing when the institution is a member already; an open admission proposal for it is approved
 * (unless this member approved it); otherwise a proposal is made (the proposer's approval counts, so a consortium of
 * one admits at once). The new institution's server, started on the consortium's contracts file, enrols itself
 * once admitted (docs/exchange.md).
 * Settings (environment): {@code LEDGER_RPC_URL}, {@code LEDGER_CHAIN_ID}, {@code LEDGER_CONTRACTS_FILE} (its
 * {@code institutionDirectory}), {@code LEDGER_KEY_FILE}, {@code LEDGER_KEY_PASSWORD} (the voting member), and what
 * the new institution's {@code $membership-request} answers: {@code ADMIT_ORGANIZATION}, {@code ADMIT_FHIR_BASE_URL},
 * {@code ADMIT_AUTH_KEY_FILE} (its public JWK; the custodian account is that key's address) and optionally
 * {@code ADMIT_ACCOUNT} (checked against the key); {@code DEPLOY_WAIT_SECONDS} (default 300).
 */
public final class AdmitInstitution {
    private static final BigInteger ADMIT = BigInteger.ZERO; // InstitutionDirectory.Kind.Admit

    private final Map<String, String> env;

    private AdmitInstitution(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        try {
            run(System.getenv());
        } catch (RuntimeException e) {
            System.err.println("admit-institution: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Runs the job with these settings (environment variable names); true once the institution is a member. */
    public static boolean run(Map<String, String> env) {
        return new AdmitInstitution(env).run();
    }

    private boolean run() {
        String authKey = authKey();
        String account = InstitutionKey.accountOf(authKey);
        String named = env.get("ADMIT_ACCOUNT");
        if (named != null && !named.isBlank() && !named.trim().equalsIgnoreCase(account)) {
            throw new IllegalStateException("ADMIT_ACCOUNT " + named.trim() + " is not the account of the key in "
                    + "ADMIT_AUTH_KEY_FILE (" + Keys.toChecksumAddress(account) + "): that server could not "
                    + "authenticate to the members");
        }
        String organization = required("ADMIT_ORGANIZATION");
        String baseUrl = required("ADMIT_FHIR_BASE_URL");
        Credentials voter = LedgerCredentials.fromKeystore(
                Path.of(required("LEDGER_KEY_FILE")), env.getOrDefault("LEDGER_KEY_PASSWORD", ""));
        String rpcUrl = required("LEDGER_RPC_URL");
        long chainId = Long.parseLong(required("LEDGER_CHAIN_ID"));
        Path file = Path.of(required("LEDGER_CONTRACTS_FILE"));
        Web3j web3j = Web3j.build(new HttpService(rpcUrl));
        try {
            DeployContracts.awaitChain(
                    web3j,
                    rpcUrl,
                    chainId,
                    Duration.ofSeconds(Long.parseLong(env.getOrDefault("DEPLOY_WAIT_SECONDS", "300"))));
            ContractsFile.read(file, chainId); // the file belongs to this chain
            String address = ContractsFile.directory(file)
                    .orElseThrow(() -> new IllegalStateException(
                            file + " names no institutionDirectory: the deployment has no consortium to join"));
            DeployContracts.requireCode(web3j, address, file);
            InstitutionDirectory directory = InstitutionDirectory.load(
                    address,
                    web3j,
                    new RawTransactionManager(
                            web3j, voter, chainId, new PollingTransactionReceiptProcessor(web3j, 100, 600)),
                    new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(2_000_000)));
            String who = Keys.toChecksumAddress(account) + " (" + organization + ")";
            if (directory.isMember(account).send()) {
                say(who + " is a member already");
                return true;
            }
            if (!directory.isMember(voter.getAddress()).send()) {
                throw new IllegalStateException(Keys.toChecksumAddress(voter.getAddress())
                        + " (LEDGER_KEY_FILE) is no member of the directory: only members vote");
            }
            BigInteger open = openProposal(directory, account);
            if (open == null) {
                TransactionReceipt r = directory
                        .proposeAdmission(account, organization, baseUrl, authKey.getBytes(StandardCharsets.UTF_8))
                        .send();
                open = InstitutionDirectory.getProposedEvents(r).get(0).id;
                say("proposed admitting " + who + " at " + baseUrl + ": proposal " + open);
            } else if (canApprove(web3j, voter, address, open)) {
                directory.approve(open).send();
                say("approved proposal " + open + " to admit " + who);
            } else {
                say("proposal " + open + " to admit " + who + " has this member's approval already");
            }
            if (directory.isMember(account).send()) {
                say(who + " is admitted; its server enrols itself as its institution's CUSTODIAN");
                return true;
            }
            Tuple4<BigInteger, String, Boolean, BigInteger> p =
                    directory.proposalOf(open).send();
            say("proposal " + open + " has " + p.component4() + " of the "
                    + directory.threshold().send()
                    + " approvals it needs: the other members approve it ($approve-proposal)");
            return false;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("private chain at " + rpcUrl + ": " + e.getMessage(), e);
        } finally {
            web3j.shutdown();
        }
    }

    /** The newest admission proposal for the account that is not carried yet, or null. */
    private static BigInteger openProposal(InstitutionDirectory directory, String account) throws Exception {
        BigInteger count = directory.proposalCount().send();
        for (BigInteger id = count.subtract(BigInteger.ONE); id.signum() >= 0; id = id.subtract(BigInteger.ONE)) {
            Tuple4<BigInteger, String, Boolean, BigInteger> p =
                    directory.proposalOf(id).send();
            if (p.component1().equals(ADMIT) && p.component2().equalsIgnoreCase(account) && !p.component3()) return id;
        }
        return null;
    }

    /** Whether the directory would take this member's approval (not given already): simulated, nothing signed. */
    private static boolean canApprove(Web3j web3j, Credentials voter, String directory, BigInteger id)
            throws IOException {
        String data = FunctionEncoder.encode(new Function("approve", List.of(new Uint256(id)), List.of()));
        EthCall sim = web3j.ethCall(
                        Transaction.createEthCallTransaction(voter.getAddress(), directory, data),
                        DefaultBlockParameterName.LATEST)
                .send();
        return !sim.hasError() && !sim.isReverted();
    }

    private String authKey() {
        Path file = Path.of(required("ADMIT_AUTH_KEY_FILE"));
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read ADMIT_AUTH_KEY_FILE " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private String required(String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) throw new IllegalStateException(name + " is not set");
        return v.trim();
    }

    private static void say(String message) {
        System.out.println(
                "admit-institution: " + message.toLowerCase(Locale.ROOT).charAt(0) + message.substring(1));
    }
}
