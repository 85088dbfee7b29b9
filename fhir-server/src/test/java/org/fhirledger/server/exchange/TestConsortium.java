package org.fhirledger.server.exchange;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.ledger.ContractsFile;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.testing.SharedChain;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * The other institutions test classes admit to a server's directory, acting on the chain as their servers would.
 * Test classes sharing one Spring context share its directory: whichever runs first, the members another class
 * admitted are known here, so their approvals make up the majority a later admission or removal needs.
 */
final class TestConsortium {

    private static final Map<Path, List<Credentials>> KNOWN = new ConcurrentHashMap<>();

    private TestConsortium() {}

    /** A member some test class admitted to the directory of the server with this data directory. */
    static void known(Path dataDir, Credentials member) {
        List<Credentials> members = KNOWN.computeIfAbsent(dataDir, d -> new CopyOnWriteArrayList<>());
        if (!members.contains(member)) members.add(member);
    }

    /**
     * A new institution with its own key (published in its entry) admitted to the server's directory by governance;
     * known from then on, so its approvals count. The server's copy of the directory is dropped.
     */
    static Credentials admitNew(
            Path dataDir,
            Web3j web3j,
            org.fhirledger.ledger.InstitutionDirectory server,
            ConsortiumView view,
            String organization,
            String fhirBaseUrl) {
        Credentials member = SecondMember.newAccount();
        known(dataDir, member);
        admit(
                dataDir,
                web3j,
                server,
                new Institution(member.getAddress(), organization, fhirBaseUrl, InstitutionKey.publicJwk(member)));
        view.invalidate();
        return member;
    }

    /** A member's custodian account enrols a new account of its staff in that role, as its server would. */
    static String enrol(Path dataDir, Web3j web3j, Credentials member, Role role) {
        String account = SecondMember.newAccount().getAddress().toLowerCase(Locale.ROOT);
        assign(dataDir, web3j, member, account, role);
        return account;
    }

    /** The member's custodian account gives the account that role under the member (on the server's registry). */
    static void assign(Path dataDir, Web3j web3j, Credentials member, String account, Role role) {
        byte[] identity = new byte[32];
        new SecureRandom().nextBytes(identity);
        try {
            if (!registryAs(dataDir, web3j, member)
                    .assignRole(account, BigInteger.valueOf(role.code()), identity)
                    .send()
                    .isStatusOK()) {
                throw new IllegalStateException("the member could not enrol " + account + " as " + role);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server proposes the institution (its approval counts), then the known members approve until it is in. */
    static void admit(
            Path dataDir, Web3j web3j, org.fhirledger.ledger.InstitutionDirectory server, Institution institution) {
        long id = server.proposeAdmission(institution);
        approveUntil(dataDir, web3j, id, () -> server.isMember(institution.custodian()));
    }

    /** The server approves a proposal another member made, then the known members until it is carried. */
    static void approve(
            Path dataDir,
            Web3j web3j,
            org.fhirledger.ledger.InstitutionDirectory server,
            long id,
            java.util.function.BooleanSupplier done) {
        server.approve(id);
        approveUntil(dataDir, web3j, id, done);
    }

    /** The server proposes removing the member; the known members (the member too) approve until it is out. */
    static void remove(Path dataDir, Web3j web3j, org.fhirledger.ledger.InstitutionDirectory server, String member) {
        if (!server.isMember(member)) return;
        long id = server.proposeRemoval(member);
        approveUntil(dataDir, web3j, id, () -> !server.isMember(member));
    }

    static void approveUntil(Path dataDir, Web3j web3j, long id, java.util.function.BooleanSupplier done) {
        for (Credentials member : KNOWN.getOrDefault(dataDir, List.of())) {
            if (done.getAsBoolean()) return;
            try {
                directoryAs(dataDir, web3j, member)
                        .approve(BigInteger.valueOf(id))
                        .send();
            } catch (Exception notAMemberAnyMoreOrApprovedAlready) {
                // a removed member cannot approve; the others can
            }
        }
        if (!done.getAsBoolean()) throw new IllegalStateException("the known members are no majority");
    }

    static InstitutionDirectory directoryAs(Path dataDir, Web3j web3j, Credentials account) {
        return InstitutionDirectory.load(
                ContractsFile.directory(dataDir.resolve("chain/contracts.json")).orElseThrow(),
                web3j,
                transactions(web3j, account),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(2_000_000)));
    }

    /** A member's custodian account enrols its own staff on the server's AccessRegistry (as its server would). */
    static AccessRegistry registryAs(Path dataDir, Web3j web3j, Credentials account) {
        return AccessRegistry.load(
                ContractsFile.read(
                                dataDir.resolve("chain/contracts.json"),
                                SharedChain.anvil().chainId())
                        .accessRegistry(),
                web3j,
                transactions(web3j, account),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(500_000)));
    }

    private static RawTransactionManager transactions(Web3j web3j, Credentials account) {
        return new RawTransactionManager(
                web3j, account, SharedChain.anvil().chainId(), new PollingTransactionReceiptProcessor(web3j, 50, 400));
    }

    /** A patient-privacy Consent of the patient naming the clinician by ledger account (docs/exchange.md). */
    static String consent(String patient, String account) {
        return "{\"resourceType\":\"Consent\",\"status\":\"active\",\"scope\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/consentscope\",\"code\":\"patient-privacy\"}]},"
                + "\"category\":[{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"59284-0\"}]}],"
                + "\"patient\":{\"reference\":\"Patient/" + patient + "\"},\"provision\":{\"type\":\"permit\","
                + "\"actor\":[{\"role\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/v3-ParticipationType\",\"code\":\"PRCP\"}]},"
                + "\"reference\":{\"identifier\":{\"system\":\"" + AuditShape.LEDGER_ADDRESS_SYSTEM
                + "\",\"value\":\"" + account + "\"}}}]}}";
    }
}
