package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;
import static org.fhirledger.ledger.web3j.LedgerTestData.record;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerClosedException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.ledger.Role;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;

/** Crashes and outages, on an anvil that mines a block every second like a QBFT network. */
class Web3jLedgerRecoveryTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(1337, 1, 30_000_000);

    private ChainFixture chain;
    private ContractAddresses contracts;
    private String custodian;

    @BeforeEach
    void setUp() throws Exception {
        if (!anvil.isRunning()) anvil.start();
        chain = new ChainFixture(anvil);
        chain.anvilRpc("evm_setIntervalMining", 1);
        LedgerDeployer admin = chain.deployer(0);
        contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
        custodian = chain.account(1).getAddress();
        admin.assignRole(contracts, custodian, Role.CUSTODIAN, pseudonym("Organization/H"));
    }

    @AfterEach
    void tearDown() {
        chain.close();
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withBatching(100, Duration.ofMillis(50));
    }

    private long nonce(DefaultBlockParameterName at) throws Exception {
        return chain.web3j
                .ethGetTransactionCount(custodian, at)
                .send()
                .getTransactionCount()
                .longValueExact();
    }

    /** Every RecordAppended event of the deployment: exactly one per entry, numbered 0..n-1. */
    private void assertLedgerHoldsExactly(int n) throws Exception {
        EthFilter filter = new EthFilter(
                DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contracts.recordLedger());
        filter.addSingleTopic(EventEncoder.encode(RecordLedger.RECORDAPPENDED_EVENT));
        var logs = chain.web3j.ethGetLogs(filter).send().getLogs();
        Set<Long> seqs = new TreeSet<>();
        for (var l : logs) {
            seqs.add(RecordLedger.getRecordAppendedEventFromLog((org.web3j.protocol.core.methods.response.Log) l.get())
                    .seq
                    .longValueExact());
        }
        assertThat(logs).as("one event per entry").hasSize(n);
        assertThat(seqs).hasSize(n);
        assertThat(seqs).first().isEqualTo(0L);
        assertThat(seqs).last().isEqualTo((long) n - 1);
    }

    @Test
    void adapterKilledAfterSendingBeforeReceiptThenResubmittedGivesNoDuplicateAndNoGap() throws Exception {
        chain.anvilRpc("evm_setIntervalMining", 0); // hold the block so the crash lands between send and receipt
        Web3jLedger first = Web3jLedger.connect(config(), chain.account(1));
        List<CompletableFuture<LedgerReceipt>> lost = new ArrayList<>();
        for (int i = 0; i < 50; i++) lost.add(first.appendRecord(record("Observation/" + i, 1)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (nonce(DefaultBlockParameterName.PENDING) == nonce(DefaultBlockParameterName.LATEST)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(nonce(DefaultBlockParameterName.PENDING))
                .as("the batch was sent")
                .isGreaterThan(nonce(DefaultBlockParameterName.LATEST));
        first.abandon();
        assertThat(lost).allSatisfy(f -> assertThatThrownBy(f::join).hasCauseInstanceOf(LedgerClosedException.class));

        // the restarted server resubmits everything it had not seen confirmed, plus new work
        try (Web3jLedger second = Web3jLedger.connect(config(), chain.account(1))) {
            List<CompletableFuture<LedgerReceipt>> resent = new ArrayList<>();
            for (int i = 0; i < 100; i++) resent.add(second.appendRecord(record("Observation/" + i, 1)));
            // let the second adapter send its (now conflicting) batch before the first one is mined
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (nonce(DefaultBlockParameterName.PENDING) < nonce(DefaultBlockParameterName.LATEST) + 2
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            chain.anvilRpc("evm_setIntervalMining", 1);
            Set<Long> seqs = new TreeSet<>();
            for (var f : resent) seqs.add(f.get(60, TimeUnit.SECONDS).seq());
            assertThat(seqs).hasSize(100);
            assertThat(second.recordCount()).isEqualTo(100);
            // the first 50 were recorded by the crashed adapter's transaction and are reported, not re-recorded
            assertThat(resent.get(0).join().seq()).isLessThan(50);
        }
        assertLedgerHoldsExactly(100);
    }

    @Test
    void nodeStoppedAndRestartedMidStreamAdapterRecovers() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            List<CompletableFuture<LedgerReceipt>> futures = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                futures.add(ledger.appendRecord(record("Encounter/" + i, 1)));
                if (i % 10 == 9) Thread.sleep(50);
            }
            futures.get(20).get(60, TimeUnit.SECONDS); // some are on chain before the outage
            anvil.stop();
            for (int i = 150; i < 300; i++) futures.add(ledger.appendRecord(record("Encounter/" + i, 1)));
            Thread.sleep(2_000);
            assertThat(futures.get(299)).isNotDone();
            anvil.start(); // same port, state loaded from the dump written at stop
            Set<Long> seqs = new TreeSet<>();
            for (var f : futures) seqs.add(f.get(90, TimeUnit.SECONDS).seq());
            assertThat(seqs).hasSize(300);
            assertThat(ledger.recordCount()).isEqualTo(300);
        }
        assertLedgerHoldsExactly(300);
    }

    @Test
    void transactionPendingWhenTheNodeRestartsIsStillRecorded() throws Exception {
        try (Web3jLedger ledger = Web3jLedger.connect(config(), chain.account(1))) {
            chain.anvilRpc("evm_setIntervalMining", 0); // the batch stays in the pool...
            List<CompletableFuture<LedgerReceipt>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) futures.add(ledger.appendRecord(record("Condition/" + i, 1)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (nonce(DefaultBlockParameterName.PENDING) == nonce(DefaultBlockParameterName.LATEST)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            anvil.restart(); // ...when the node restarts (a restarted node may have lost its pool); blocks resume
            Set<Long> seqs = new TreeSet<>();
            for (var f : futures) seqs.add(f.get(90, TimeUnit.SECONDS).seq());
            assertThat(seqs).hasSize(40);
            assertThat(ledger.recordCount()).isEqualTo(40);
        }
        assertLedgerHoldsExactly(40);
    }

    @Test
    void readsFailClearlyWhileTheNodeIsDown() throws Exception {
        LedgerConfig shortRetry =
                config().withTimeouts(Duration.ofMinutes(2), Duration.ofMillis(800), Duration.ofSeconds(5));
        try (Web3jLedger ledger = Web3jLedger.connect(shortRetry, chain.account(1))) {
            anvil.stop();
            try {
                assertThatThrownBy(() -> ledger.hasRole(custodian, Role.CUSTODIAN))
                        .isInstanceOf(LedgerUnavailableException.class)
                        .hasMessageContaining(anvil.rpcUrl());
                // the probe (or that read's exhausted retries) marked the node down: reads now fail without retrying
                awaitOutage(ledger, true);
                assertThatThrownBy(() -> ledger.hasRole(custodian, Role.CUSTODIAN))
                        .isInstanceOf(LedgerUnavailableException.class)
                        .hasMessageContaining("unreachable since");
            } finally {
                anvil.start();
            }
            awaitOutage(ledger, false); // the next probe sees the node again
            assertThat(ledger.hasRole(custodian, Role.CUSTODIAN)).isTrue(); // state survived the restart
        }
    }

    static void awaitOutage(Ledger ledger, boolean present) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (ledger.outage().isPresent() != present) {
            if (System.nanoTime() > deadline) throw new AssertionError("outage " + (present ? "not seen" : "not over"));
            Thread.sleep(50);
        }
    }
}
