package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;
import static org.fhirledger.ledger.web3j.LedgerTestData.access;
import static org.fhirledger.ledger.web3j.LedgerTestData.record;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.AccessInfo;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ConsentChange;
import org.fhirledger.ledger.ConsentGrant;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.LedgerClosedException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerListener;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.RoleChange;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class Web3jLedgerTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    // accounts: 0 admin/deployer, 1 custodian (the adapter), 2 clinician, 3 patient, 4 no role
    private ChainFixture chain;
    private LedgerDeployer admin;
    private ContractAddresses contracts;
    private Web3jLedger ledger;

    @BeforeEach
    void setUp() {
        chain = new ChainFixture(anvil);
        admin = chain.deployer(0);
        contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
        admin.assignRole(contracts, chain.account(1).getAddress(), Role.CUSTODIAN, pseudonym("Organization/H"));
        ledger = Web3jLedger.connect(config(), chain.account(1));
    }

    @AfterEach
    void tearDown() {
        ledger.close();
        chain.close();
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withBatching(100, Duration.ofMillis(50))
                .withEventPollInterval(Duration.ofMillis(200));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    @Test
    void fourThreadsAppend500EachAllRecordedExactlyOnceWithContiguousSequence() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<CompletableFuture<LedgerReceipt>>>> submitted = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            submitted.add(pool.submit(() -> {
                List<CompletableFuture<LedgerReceipt>> fs = new ArrayList<>();
                for (int i = 0; i < 500; i++)
                    fs.add(ledger.appendRecord(record("Observation/t" + thread + "-" + i, 1)));
                return fs;
            }));
        }
        Set<Long> seqs = new HashSet<>();
        Set<String> txs = new HashSet<>();
        for (var s : submitted) {
            for (var f : s.get(60, TimeUnit.SECONDS)) {
                LedgerReceipt r = await(f);
                assertThat(seqs.add(r.seq()))
                        .as("sequence %d given once", r.seq())
                        .isTrue();
                txs.add(r.txHash());
            }
        }
        pool.shutdown();
        assertThat(seqs).hasSize(2000);
        assertThat(seqs.stream().mapToLong(Long::longValue).min().orElseThrow()).isZero();
        assertThat(seqs.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(1999);
        assertThat(ledger.recordCount()).isEqualTo(2000);
        assertThat(txs.size()).as("entries were batched").isLessThan(200);

        RecordInfo info = ledger.findRecord(pseudonym("Observation/t2-17"), 1).orElseThrow();
        assertThat(info.entry()).isEqualTo(record("Observation/t2-17", 1));
        assertThat(ledger.contentHashOf(pseudonym("Observation/t2-17"), 1))
                .contains(record("Observation/t2-17", 1).contentHash());
        assertThat(ledger.findRecord(pseudonym("Observation/t2-17"), 2)).isEmpty();
        assertThat(ledger.contentHashOf(pseudonym("Observation/none"), 1)).isEmpty();
    }

    @Test
    void resubmittingIsIdempotentAndADuplicateDoesNotSinkItsBatch() throws Exception {
        List<CompletableFuture<LedgerReceipt>> first = new ArrayList<>();
        for (int i = 0; i < 10; i++) first.add(ledger.appendRecord(record("Patient/p" + i, 1)));
        List<LedgerReceipt> firstReceipts = new ArrayList<>();
        for (var f : first) firstReceipts.add(await(f));

        // same ten again, mixed with five new ones in the same batch
        List<CompletableFuture<LedgerReceipt>> again = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            again.add(ledger.appendRecord(record("Patient/p" + i, 1)));
            if (i % 2 == 0) again.add(ledger.appendRecord(record("Patient/new" + i, 1)));
        }
        List<LedgerReceipt> againReceipts = new ArrayList<>();
        for (var f : again) againReceipts.add(await(f));
        for (int i = 0; i < 10; i++) {
            LedgerReceipt original = firstReceipts.get(i);
            assertThat(againReceipts).contains(original); // same seq, same transaction: answered from the chain
        }
        assertThat(ledger.recordCount()).isEqualTo(15);
        assertThat(againReceipts.stream().map(LedgerReceipt::seq).distinct()).hasSize(15);
    }

    @Test
    void aResourcesHistoryIsFoundByItsTopic() throws Exception {
        for (long v = 1; v <= 3; v++) await(ledger.appendRecord(record("Observation/h", v)));
        await(ledger.appendRecord(record("Observation/other", 1)));
        assertThat(ledger.recordHistory(pseudonym("Observation/h")))
                .extracting(RecordInfo::entry)
                .containsExactly(record("Observation/h", 1), record("Observation/h", 2), record("Observation/h", 3));
        assertThat(ledger.recordHistory(pseudonym("Observation/none"))).isEmpty();
    }

    @Test
    void theSameEntryTwiceInOneBatchIsRecordedOnce() throws Exception {
        CompletableFuture<LedgerReceipt> a = ledger.appendRecord(record("Observation/twice", 1));
        CompletableFuture<LedgerReceipt> other = ledger.appendRecord(record("Observation/other", 1));
        CompletableFuture<LedgerReceipt> b = ledger.appendRecord(record("Observation/twice", 1));
        assertThat(await(b)).isEqualTo(await(a));
        assertThat(await(other).seq()).isNotEqualTo(await(a).seq());
        assertThat(ledger.recordCount()).isEqualTo(2);
    }

    @Test
    void sameVersionWithOtherContentIsAConflict() throws Exception {
        await(ledger.appendRecord(record("Observation/1", 1)));
        RecordEntry forged = new RecordEntry(
                pseudonym("Observation/1"), 1, pseudonym("other content"), new byte[] {9}, pseudonym("Patient/P"));
        CompletableFuture<LedgerReceipt> ok = ledger.appendRecord(record("Observation/2", 1));
        assertThatThrownBy(() -> await(ledger.appendRecord(forged)))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ConflictingEntryException.class);
        assertThat(await(ok).seq()).isEqualTo(1);
        assertThat(ledger.contentHashOf(pseudonym("Observation/1"), 1))
                .contains(record("Observation/1", 1).contentHash());
    }

    @Test
    void anotherCustodianCannotClaimOrShadowThisAdaptersNextVersion() throws Exception {
        admin.assignRole(contracts, chain.account(4).getAddress(), Role.CUSTODIAN, pseudonym("Organization/B"));
        await(ledger.appendRecord(record("Observation/R", 1)));
        RecordEntry junk = new RecordEntry(
                pseudonym("Observation/R"), 2, pseudonym("junk"), new byte[] {9}, pseudonym("Patient/P"));
        try (Web3jLedger other = Web3jLedger.connect(config(), chain.account(4))) {
            await(other.appendRecord(junk)); // B takes (R, 2) first
            assertThat(other.findRecord(pseudonym("Observation/R"), 2))
                    .map(RecordInfo::entry)
                    .contains(junk);
            assertThat(other.contentHashOf(pseudonym("Observation/R"), 2)).contains(junk.contentHash());
        }
        assertThat(ledger.findRecord(pseudonym("Observation/R"), 2))
                .as("B's entry is not this adapter's")
                .isEmpty();
        assertThat(ledger.contentHashOf(pseudonym("Observation/R"), 2)).isEmpty();

        // this adapter's genuine version 2 is recorded, not refused as a conflict, and reads back as its own
        LedgerReceipt mine = await(ledger.appendRecord(record("Observation/R", 2)));
        assertThat(ledger.findRecord(pseudonym("Observation/R"), 2))
                .map(RecordInfo::receipt)
                .contains(mine);
        assertThat(ledger.contentHashOf(pseudonym("Observation/R"), 2))
                .contains(record("Observation/R", 2).contentHash());
        assertThat(ledger.recordHistory(pseudonym("Observation/R")))
                .extracting(RecordInfo::entry)
                .containsExactly(record("Observation/R", 1), record("Observation/R", 2));
        assertThat(await(ledger.appendRecord(record("Observation/R", 2))))
                .as("idempotent")
                .isEqualTo(mine);
    }

    @Test
    void theCustodiansOfAPatientAreEveryCustodianThatRecordedUnderItsPseudonym() throws Exception {
        String b = chain.account(4).getAddress();
        admin.assignRole(contracts, b, Role.CUSTODIAN, pseudonym("Organization/B"));
        assertThat(ledger.custodiansOfPatient(pseudonym("Patient/P"))).isEmpty();
        await(ledger.appendRecord(record("Observation/1", 1))); // under Patient/P
        await(ledger.appendRecord(new RecordEntry(
                pseudonym("Observation/2"), 1, pseudonym("c2"), new byte[] {2}, pseudonym("Patient/Q"))));
        assertThat(ledger.custodiansOfPatient(pseudonym("Patient/P")))
                .containsExactly(ledger.account().toLowerCase(java.util.Locale.ROOT));
        try (Web3jLedger other = Web3jLedger.connect(config(), chain.account(4))) {
            await(other.appendRecord(new RecordEntry(
                    pseudonym("Observation/9"), 1, pseudonym("c9"), new byte[] {9}, pseudonym("Patient/P"))));
        }
        // the one query that sees other custodians' entries: both, each once, lower-case
        assertThat(ledger.custodiansOfPatient(pseudonym("Patient/P")))
                .containsExactlyInAnyOrder(
                        ledger.account().toLowerCase(java.util.Locale.ROOT), b.toLowerCase(java.util.Locale.ROOT));
        assertThat(ledger.custodiansOfPatient(pseudonym("Patient/Q")))
                .containsExactly(ledger.account().toLowerCase(java.util.Locale.ROOT));
        assertThat(ledger.custodiansOfPatient(pseudonym("Patient/none"))).isEmpty();

        // another member reads each custodian's entries under the patient, and only that custodian's
        assertThat(ledger.recordsOfPatient(b, pseudonym("Patient/P")))
                .extracting(RecordInfo::entry)
                .containsExactly(new RecordEntry(
                        pseudonym("Observation/9"), 1, pseudonym("c9"), new byte[] {9}, pseudonym("Patient/P")));
        assertThat(ledger.recordsOfPatient(ledger.account(), pseudonym("Patient/P")))
                .extracting(RecordInfo::entry)
                .containsExactly(record("Observation/1", 1));
        assertThat(ledger.recordsOfPatient(b, pseudonym("Patient/Q"))).isEmpty();
    }

    @Test
    void anAccountWithoutCustodianRoleIsRefusedWithTheContractsError() throws Exception {
        try (Web3jLedger clinician = Web3jLedger.connect(config(), chain.account(2))) {
            assertThatThrownBy(() -> await(clinician.appendRecord(record("Observation/1", 1))))
                    .hasCauseInstanceOf(ContractRevertException.class)
                    .cause()
                    .hasMessageContaining("NotCustodian");
            assertThatThrownBy(() ->
                            await(clinician.appendAccess(access(chain.account(2).getAddress(), "a1"))))
                    .cause()
                    .isInstanceOf(ContractRevertException.class);
        }
        assertThat(ledger.recordCount()).isZero();
    }

    @Test
    void accessEntriesAreNumberedAndIdempotent() throws Exception {
        String actor = chain.account(2).getAddress();
        LedgerReceipt a1 = await(ledger.appendAccess(access(actor, "audit-1")));
        LedgerReceipt a2 = await(ledger.appendAccess(access(actor, "audit-2")));
        assertThat(List.of(a1.seq(), a2.seq())).containsExactlyInAnyOrder(0L, 1L);
        assertThat(await(ledger.appendAccess(access(actor, "audit-1")))).isEqualTo(a1);
        assertThat(ledger.accessSeqOf(pseudonym("audit-2"))).contains(a2.seq());
        assertThat(ledger.accessSeqOf(pseudonym("audit-3"))).isEmpty();
        assertThat(ledger.accessesOfPatient(pseudonym("Patient/P")))
                .extracting(AccessInfo::entry)
                .containsExactlyInAnyOrder(access(actor, "audit-1"), access(actor, "audit-2"));
        assertThat(ledger.accessesOfPatient(pseudonym("Patient/Q"))).isEmpty();
        AccessEntry sameHashOtherActor = new AccessEntry(
                chain.account(3).getAddress(),
                pseudonym("Patient/P"),
                pseudonym("Observation/1"),
                1,
                AccessEntry.Outcome.DENIED,
                1,
                pseudonym("audit-1"));
        assertThatThrownBy(() -> await(ledger.appendAccess(sameHashOtherActor)))
                .cause()
                .isInstanceOf(ConflictingEntryException.class);
    }

    @Test
    void anAdminAdapterAssignsAndRevokesRoles() throws Exception {
        String clinician = chain.account(2).getAddress();
        assertThatThrownBy(() -> ledger.assignRole(clinician, Role.CLINICIAN, pseudonym("Practitioner/7")))
                .as("the adapter's account is no ADMIN yet")
                .isInstanceOf(ContractRevertException.class)
                .hasMessageContaining("NotAdmin");
        admin.assignRole(contracts, ledger.account(), Role.ADMIN, pseudonym("Organization/H"));

        ledger.assignRole(clinician, Role.CLINICIAN, pseudonym("Practitioner/7"));
        ledger.assignRole(clinician, Role.AUDITOR, pseudonym("Practitioner/7"));
        assertThat(ledger.rolesOf(clinician)).containsExactlyInAnyOrder(Role.CLINICIAN, Role.AUDITOR);
        assertThat(ledger.rolesOf(chain.account(4).getAddress())).isEmpty();
        assertThatThrownBy(() -> ledger.assignRole(clinician, Role.PATIENT, pseudonym("Patient/P")))
                .isInstanceOf(ContractRevertException.class)
                .hasMessageContaining("IdentityMismatch");
        ledger.revokeRole(clinician, Role.AUDITOR);
        assertThat(ledger.rolesOf(clinician)).containsExactly(Role.CLINICIAN);
        assertThatThrownBy(() -> ledger.revokeRole(clinician, Role.AUDITOR))
                .isInstanceOf(ContractRevertException.class)
                .hasMessageContaining("RoleNotHeld");
    }

    @Test
    void rolesAndConsentAreReadableAndChangesReachListeners() throws Exception {
        String clinician = chain.account(2).getAddress();
        String patient = chain.account(3).getAddress();
        List<RoleChange> roles = new CopyOnWriteArrayList<>();
        List<ConsentChange> consents = new CopyOnWriteArrayList<>();
        AutoCloseable handle = ledger.addListener(new LedgerListener() {
            @Override
            public void onRoleChange(RoleChange change) {
                roles.add(change);
            }

            @Override
            public void onConsentChange(ConsentChange change) {
                consents.add(change);
            }
        });
        admin.assignRole(contracts, clinician, Role.CLINICIAN, pseudonym("Practitioner/7"));
        admin.assignRole(contracts, patient, Role.PATIENT, pseudonym("Patient/P"));
        assertThat(ledger.hasRole(clinician, Role.CLINICIAN)).isTrue();
        assertThat(ledger.hasRole(clinician, Role.ADMIN)).isFalse();
        assertThat(ledger.identityOf(clinician)).contains(pseudonym("Practitioner/7"));
        assertThat(ledger.identityOf(chain.account(4).getAddress())).isEmpty();
        assertThat(ledger.accountOf(pseudonym("Patient/P")).orElseThrow()).isEqualToIgnoringCase(patient);
        assertThat(ledger.accountOf(pseudonym("Patient/none"))).isEmpty();

        Instant now = Instant.now();
        // the adapter (a CUSTODIAN) relays for its patients, also for one with an account (Patient/P)
        ledger.grantConsent(
                pseudonym("Patient/P"), clinician, ConsentAction.READ.bit(), ResourceTypes.ALL, now.plusSeconds(3600));
        assertThat(ledger.isPermitted(pseudonym("Patient/P"), clinician, ConsentAction.READ, "Observation", now))
                .isTrue();
        ledger.revokeConsent(pseudonym("Patient/P"), clinician);
        assertThat(ledger.isPermitted(pseudonym("Patient/P"), clinician, ConsentAction.READ, "Observation", now))
                .isFalse();
        ledger.grantConsent(
                pseudonym("Patient/Q"),
                clinician,
                ConsentAction.READ.bit(),
                ResourceTypes.maskOf(List.of("Observation")),
                now.plusSeconds(3600));
        assertThat(ledger.isPermitted(pseudonym("Patient/Q"), clinician, ConsentAction.READ, "Observation", now))
                .isTrue();
        assertThat(ledger.isPermitted(pseudonym("Patient/Q"), clinician, ConsentAction.WRITE, "Observation", now))
                .isFalse();
        assertThat(ledger.isPermitted(pseudonym("Patient/Q"), clinician, ConsentAction.READ, "Condition", now))
                .isFalse();
        ConsentGrant grant = ledger.consentOf(pseudonym("Patient/Q"), clinician);
        assertThat(grant.permits(ConsentAction.READ, "Observation", now)).isTrue();
        assertThat(grant.permits(ConsentAction.WRITE, "Observation", now)).isFalse();
        assertThat(grant.permits(ConsentAction.READ, "Condition", now)).isFalse();
        assertThat(grant.permits(ConsentAction.READ, "Observation", now.plusSeconds(3601)))
                .as("expired")
                .isFalse();
        assertThat(ledger.consentOf(pseudonym("Patient/none"), clinician)).isEqualTo(ConsentGrant.NONE);
        ledger.revokeConsent(pseudonym("Patient/Q"), clinician);
        assertThat(ledger.isPermitted(pseudonym("Patient/Q"), clinician, ConsentAction.READ, "Observation", now))
                .isFalse();
        assertThatThrownBy(() -> ledger.revokeConsent(pseudonym("Patient/Q"), clinician))
                .isInstanceOf(ContractRevertException.class)
                .hasMessageContaining("NoConsent");
        assertThatThrownBy(() -> ledger.grantConsent(
                        pseudonym("Patient/Q"), clinician, 1, ResourceTypes.ALL, now.minusSeconds(3600)))
                .isInstanceOf(ContractRevertException.class)
                .hasMessageContaining("ExpiryInPast");
        admin.revokeRole(contracts, clinician, Role.CLINICIAN);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((roles.size() < 3 || consents.size() < 4) && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(roles)
                .extracting(RoleChange::role, RoleChange::granted)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Role.CLINICIAN, true),
                        org.assertj.core.groups.Tuple.tuple(Role.PATIENT, true),
                        org.assertj.core.groups.Tuple.tuple(Role.CLINICIAN, false));
        assertThat(roles.get(0).identity()).isEqualTo(pseudonym("Practitioner/7"));
        assertThat(consents).extracting(ConsentChange::granted).containsExactly(true, false, true, false);
        assertThat(consents.get(0).resourceTypes()).isEqualTo(ResourceTypes.ALL);
        assertThat(consents.get(2).resourceTypes()).isEqualTo(ResourceTypes.maskOf(List.of("Observation")));
        handle.close();
    }

    @Test
    void aNodeOnAnotherChainIsRefused() {
        LedgerConfig wrongChain = LedgerConfig.defaults(anvil.rpcUrl(), 1, contracts);
        assertThatThrownBy(() -> Web3jLedger.connect(wrongChain, chain.account(1)))
                .isInstanceOf(ChainIdMismatchException.class)
                .hasMessageContaining("chain id " + anvil.chainId())
                .hasMessageContaining("configured chain id is 1");
    }

    @Test
    void missingContractsAreRefused() {
        ContractAddresses nowhere = new ContractAddresses(
                contracts.accessRegistry(),
                contracts.consentRegistry(),
                chain.account(5).getAddress(),
                contracts.accessLedger(),
                0);
        assertThatThrownBy(() -> Web3jLedger.connect(
                        LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), nowhere), chain.account(1)))
                .isInstanceOf(LedgerException.class)
                .hasMessageContaining("no RecordLedger contract");
    }

    @Test
    void anUnreachableNodeFailsClearlyAfterRetrying() {
        LedgerConfig down = LedgerConfig.defaults("http://127.0.0.1:1", anvil.chainId(), contracts)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(600), Duration.ofSeconds(1));
        assertThatThrownBy(() -> Web3jLedger.connect(down, chain.account(1)))
                .isInstanceOf(LedgerUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }

    @Test
    void aTransactionTheNodeRefusesFailsItsEntriesWithoutStallingLaterOnes() throws Exception {
        // 100 entries x 400k gas > the 30M block gas limit: the node refuses the batch's transaction
        try (Web3jLedger greedy = Web3jLedger.connect(config().withGas(400_000, 200_000), chain.account(1))) {
            List<CompletableFuture<LedgerReceipt>> big = new ArrayList<>();
            for (int i = 0; i < 100; i++) big.add(greedy.appendRecord(record("Observation/" + i, 1)));
            for (var f : big) {
                assertThatThrownBy(() -> await(f))
                        .cause()
                        .isInstanceOf(LedgerException.class)
                        .hasMessageContaining("node refused transaction");
            }
            // the refused nonce was filled: a later, smaller batch still goes through
            assertThat(await(greedy.appendRecord(record("Observation/late", 1))).seq())
                    .isZero();
        }
    }

    @Test
    void closedAdapterRefusesNewEntries() {
        ledger.close();
        assertThatThrownBy(() -> ledger.appendRecord(record("Observation/1", 1)))
                .isInstanceOf(LedgerClosedException.class);
    }

    @Test
    void keystoreAndEnvironmentCredentials(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String file = org.web3j.crypto.WalletUtils.generateWalletFile(
                "pw", chain.account(1).getEcKeyPair(), dir.toFile(), false);
        assertThat(LedgerCredentials.fromKeystore(dir.resolve(file), "pw").getAddress())
                .isEqualTo(chain.account(1).getAddress());
        assertThatThrownBy(() -> LedgerCredentials.fromKeystore(dir.resolve(file), "wrong"))
                .isInstanceOf(LedgerException.class)
                .hasMessageContaining(file);
        assertThatThrownBy(() -> LedgerCredentials.fromEnvironment("FHIR_LEDGER_TEST_SURELY_UNSET_VAR"))
                .isInstanceOf(LedgerException.class)
                .hasMessageContaining("FHIR_LEDGER_TEST_SURELY_UNSET_VAR");
    }
}
