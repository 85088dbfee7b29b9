package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;
import static org.fhirledger.ledger.web3j.LedgerTestData.access;
import static org.fhirledger.ledger.web3j.LedgerTestData.record;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.ledger.AccessInfo;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ConsentChange;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerListener;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;

/**
 * The adapter in front of a misbehaving node ({@link FaultyNode} between it and a real anvil): transient HTTP
 * errors, JSON-RPC errors that are not reverts, a lagging node, a log-range cap. Nothing committed may be lost,
 * nothing may be failed for good on a transient error, and every future completes.
 */
class Web3jLedgerFaultTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    // accounts: 0 admin/deployer, 1 custodian (the adapter), 2 clinician
    private ChainFixture chain;
    private ContractAddresses contracts;
    private FaultyNode node;

    @BeforeEach
    void setUp() throws Exception {
        chain = new ChainFixture(anvil);
        LedgerDeployer admin = chain.deployer(0);
        contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
        admin.assignRole(contracts, chain.account(1).getAddress(), Role.CUSTODIAN, pseudonym("Organization/H"));
        node = new FaultyNode(anvil.rpcUrl());
    }

    @AfterEach
    void tearDown() {
        node.close();
        chain.close();
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(node.url(), anvil.chainId(), contracts)
                .withBatching(100, Duration.ofMillis(50))
                .withEventPollInterval(Duration.ofMillis(200));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    private long adapterNonce() throws Exception {
        return chain.web3j
                .ethGetTransactionCount(chain.account(1).getAddress(), DefaultBlockParameterName.LATEST)
                .send()
                .getTransactionCount()
                .longValueExact();
    }

    private int consentGrantedEvents() throws Exception {
        EthFilter f = new EthFilter(
                DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contracts.consentRegistry());
        f.addSingleTopic(EventEncoder.encode(ConsentRegistry.CONSENTGRANTED_EVENT));
        return chain.web3j.ethGetLogs(f).send().getLogs().size();
    }

    // finding 1: a 503 (web3j's ClientConnectionException, a RuntimeException) used to drop the whole batch

    @Test
    void anHttp503OnTheSimulationRetriesTheBatch() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            node.failFirst("eth_call", 1, req -> FaultyNode.Reply.http(503));
            List<CompletableFuture<LedgerReceipt>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++) fs.add(ledger.appendRecord(record("Observation/503-" + i, 1)));
            for (var f : fs) assertThat(await(f).txHash()).isNotBlank();
            assertThat(ledger.recordCount()).isEqualTo(3);
        }
    }

    @Test
    void anHttp503WhileLookingUpADuplicateRetriesTheEntry() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            LedgerReceipt original = await(ledger.appendRecord(record("Observation/dup", 1)));
            node.failFirst("eth_getLogs", 1, req -> FaultyNode.Reply.http(503));
            assertThat(await(ledger.appendRecord(record("Observation/dup", 1)))).isEqualTo(original);
            assertThat(ledger.recordCount()).isEqualTo(1);
        }
    }

    @Test
    void anHttp503OnAConsentSimulationRetriesTheGrant() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            String clinician = chain.account(2).getAddress();
            node.failFirst("eth_call", 1, req -> FaultyNode.Reply.http(503));
            Instant now = Instant.now();
            ledger.grantConsent(
                    pseudonym("Patient/P"),
                    clinician,
                    ConsentAction.READ.bit(),
                    ResourceTypes.ALL,
                    now.plusSeconds(3600));
            assertThat(ledger.isPermitted(pseudonym("Patient/P"), clinician, ConsentAction.READ, "Observation", now))
                    .isTrue();
        }
    }

    // finding 2: a JSON-RPC error that is not a revert used to fail every entry with ContractRevertException

    @Test
    void aNonRevertErrorOfTheSimulationIsRetriedNotTakenAsARefusal() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            node.failFirst("eth_call", 2, req -> FaultyNode.Reply.rpcError(req, -32000, "header not found"));
            CompletableFuture<LedgerReceipt> r = ledger.appendRecord(record("Observation/hnf", 1));
            CompletableFuture<LedgerReceipt> a =
                    ledger.appendAccess(access(chain.account(2).getAddress(), "hnf"));
            assertThat(await(r).seq()).isZero();
            assertThat(await(a).seq()).isZero();
            // a real revert is still final
            CompletableFuture<LedgerReceipt> conflict = ledger.appendRecord(new RecordEntry(
                    pseudonym("Observation/hnf"), 1, pseudonym("other"), new byte[] {1}, pseudonym("Patient/P")));
            assertThatThrownBy(() -> await(conflict)).cause().isInstanceOf(ConflictingEntryException.class);
        }
    }

    // finding 6: a consent change the caller was told failed must never take effect later

    @Test
    void aConsentGrantThatTimedOutWhileTheNodeWasDownIsNeverSent() throws Exception {
        LedgerConfig cfg = config().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(30));
        long nonceBefore = adapterNonce(); // anvil is shared by the tests of this class
        try (Web3jLedger ledger = Web3jLedger.connect(cfg, chain.account(1))) {
            AtomicBoolean down = new AtomicBoolean(true);
            node.add((m, req) -> down.get() ? FaultyNode.Reply.http(503) : null);
            String clinician = chain.account(2).getAddress();
            Instant now = Instant.now();
            assertThatThrownBy(() -> ledger.grantConsent(
                            pseudonym("Patient/P"),
                            clinician,
                            ConsentAction.READ.bit(),
                            ResourceTypes.ALL,
                            now.plusSeconds(3600)))
                    .isInstanceOf(LedgerUnavailableException.class);
            down.set(false);
            Web3jLedgerRecoveryTest.awaitOutage(ledger, false); // reads fail at once until the probe sees the node
            // consent calls go out before batches: once this record is mined, a still-queued grant would be too
            await(ledger.appendRecord(record("Observation/after-outage", 1)));
            assertThat(ledger.isPermitted(pseudonym("Patient/P"), clinician, ConsentAction.READ, "Observation", now))
                    .isFalse();
            assertThat(adapterNonce()).as("only the record batch was sent").isEqualTo(nonceBefore + 1);
        }
    }

    // finding 7: "nonce too low" for our own transaction, mined while the node lagged, is not a reason to resend

    @Test
    void nonceTooLowForOurOwnMinedTransactionCompletesItInsteadOfSendingItAgain() throws Exception {
        long nonceBefore = adapterNonce(); // anvil is shared by the tests of this class
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            // the node lags: it neither knows the receipt nor the transaction until the adapter sends it again,
            // and then says "nonce too low" (the transaction was mined meanwhile)
            AtomicBoolean lagging = new AtomicBoolean(true);
            node.add((m, req) -> {
                if (!lagging.get()) return null;
                if (m.equals("eth_getTransactionReceipt") || m.equals("eth_getTransactionByHash")) {
                    return FaultyNode.Reply.nullResult(req);
                }
                if (m.equals("eth_sendRawTransaction") && node.calls(m) > 1) {
                    lagging.set(false);
                    return FaultyNode.Reply.rpcError(req, -32000, "nonce too low");
                }
                return null;
            });
            String clinician = chain.account(2).getAddress();
            Instant now = Instant.now();
            LedgerReceipt r = ledger.grantConsent(
                    pseudonym("Patient/P"),
                    clinician,
                    ConsentAction.READ.bit(),
                    ResourceTypes.ALL,
                    now.plusSeconds(3600));
            assertThat(node.calls("eth_sendRawTransaction"))
                    .as("the grant was sent again")
                    .isGreaterThan(1);
            assertThat(r.blockNumber()).isPositive();
            assertThat(consentGrantedEvents()).as("granted once").isEqualTo(1);
            assertThat(adapterNonce()).as("one transaction").isEqualTo(nonceBefore + 1);
        }
    }

    // finding 3: a node capping the block range of eth_getLogs (Besu --rpc-max-logs-range)

    @Test
    void lookupsAndTheEventPollerPageThroughTheNodesLogRangeCap() throws Exception {
        node.capLogsRange(5);
        try (Web3jLedger ledger = Web3jLedger.connect(config().withMaxLogsRange(5), chain.account(1))) {
            List<ConsentChange> consents = new CopyOnWriteArrayList<>();
            ledger.addListener(new LedgerListener() {
                @Override
                public void onConsentChange(ConsentChange change) {
                    consents.add(change);
                }
            });
            LedgerReceipt v1 = await(ledger.appendRecord(record("Observation/paged", 1)));
            chain.anvilRpc("anvil_mine", "0x14"); // 20 empty blocks at once: the event poller is 20 blocks behind
            LedgerReceipt v2 = await(ledger.appendRecord(record("Observation/paged", 2)));
            LedgerReceipt a = await(ledger.appendAccess(access(chain.account(2).getAddress(), "paged")));
            String clinician = chain.account(2).getAddress();
            ledger.grantConsent(
                    pseudonym("Patient/P"),
                    clinician,
                    ConsentAction.READ.bit(),
                    ResourceTypes.ALL,
                    Instant.now().plusSeconds(3600));
            chain.anvilRpc("anvil_mine", "0x14");

            assertThat(ledger.recordHistory(pseudonym("Observation/paged")))
                    .extracting(RecordInfo::receipt)
                    .containsExactly(v1, v2);
            assertThat(ledger.findRecord(pseudonym("Observation/paged"), 1))
                    .map(RecordInfo::receipt)
                    .contains(v1);
            assertThat(ledger.accessesOfPatient(pseudonym("Patient/P")))
                    .extracting(AccessInfo::receipt)
                    .contains(a);
            // a resubmitted entry is answered through the paged lookup
            assertThat(await(ledger.appendRecord(record("Observation/paged", 1))))
                    .isEqualTo(v1);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consents.isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(consents).extracting(ConsentChange::granted).containsExactly(true);
        }
    }
}
