package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.b32;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import java.util.List;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

class RecordLedgerContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private ChainFixture chain;
    private String address;
    private RecordLedger asCustodian;
    private RecordLedger asClinician;
    private RecordLedger asOtherCustodian;
    private String custodian;
    private String otherCustodian;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        AccessRegistry registry = AccessRegistry.deploy(
                        chain.web3j, chain.tx(0), ChainFixture.GAS, ChainFixture.NO_DIRECTORY, b32("admin"))
                .send();
        ok(registry.assignRole(chain.account(1).getAddress(), BigInteger.valueOf(5), b32("Organization/H")));
        ok(registry.assignRole(chain.account(2).getAddress(), BigInteger.valueOf(2), b32("Practitioner/C")));
        ok(registry.assignRole(chain.account(3).getAddress(), BigInteger.valueOf(5), b32("Organization/B")));
        address = RecordLedger.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, registry.getContractAddress())
                .send()
                .getContractAddress();
        asCustodian = RecordLedger.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
        asClinician = RecordLedger.load(address, chain.web3j, chain.tx(2), ChainFixture.GAS);
        asOtherCustodian = RecordLedger.load(address, chain.web3j, chain.tx(3), ChainFixture.GAS);
        custodian = chain.account(1).getAddress();
        otherCustodian = chain.account(3).getAddress();
    }

    @AfterEach
    void close() {
        chain.close();
    }

    private static List<BigInteger> versions(long... v) {
        return java.util.Arrays.stream(v).mapToObj(BigInteger::valueOf).toList();
    }

    @Test
    void custodianAppendsNumberedEntriesOneEventEach() throws Exception {
        TransactionReceipt r = ok(asCustodian.appendRecords(
                List.of(b32("Observation/1"), b32("Observation/2"), b32("Observation/1")),
                versions(1, 1, 2),
                List.of(b32("h1"), b32("h2"), b32("h3")),
                List.of(new byte[] {1}, new byte[] {2}, new byte[] {3}),
                List.of(b32("Patient/P"), b32("Patient/P"), new byte[32])));
        var events = RecordLedger.getRecordAppendedEvents(r);
        assertThat(events).extracting(e -> e.seq.longValueExact()).containsExactly(0L, 1L, 2L);
        assertThat(events.get(2).resource).isEqualTo(b32("Observation/1"));
        assertThat(events.get(2).version).isEqualTo(2);
        assertThat(events.get(2).contentHash).isEqualTo(b32("h3"));
        assertThat(events.get(2).cid).containsExactly(3);
        assertThat(events).allSatisfy(e -> assertThat(e.custodian).isEqualToIgnoringCase(custodian));
        assertThat(asCustodian.nextSeq().send()).isEqualTo(3);
        assertThat(asCustodian
                        .contentHashOf(custodian, b32("Observation/1"), BigInteger.TWO)
                        .send())
                .isEqualTo(b32("h3"));
        assertThat(asCustodian
                        .contentHashOf(custodian, b32("Observation/1"), BigInteger.valueOf(3))
                        .send())
                .isEqualTo(new byte[32]);

        TransactionReceipt r2 = ok(asCustodian.appendRecords(
                List.of(b32("Observation/3")),
                versions(1),
                List.of(b32("h4")),
                List.of(new byte[] {4}),
                List.of(b32("Patient/P"))));
        assertThat(RecordLedger.getRecordAppendedEvents(r2))
                .singleElement()
                .satisfies(e -> assertThat(e.seq).isEqualTo(3));
    }

    @Test
    void onlyACustodianAppends() throws Exception {
        var call = asClinician.appendRecords(
                List.of(b32("Observation/1")),
                versions(1),
                List.of(b32("h1")),
                List.of(new byte[] {1}),
                List.of(b32("Patient/P")));
        chain.assertReverts(2, address, call, "NotCustodian");
        chain.assertReverts(0, address, call, "NotCustodian"); // an admin is not a custodian either
        assertThat(chain.sendUnchecked(2, address, call).isStatusOK()).isFalse();
        assertThat(asCustodian.nextSeq().send()).isZero();
    }

    @Test
    void rejectsInvalidBatches() throws Exception {
        byte[] z = new byte[32];
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(List.of(), List.of(), List.of(), List.of(), List.of()),
                "EmptyBatch");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r")), versions(1, 2), List.of(b32("h")), List.of(new byte[] {1}), List.of(z)),
                "LengthMismatch");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(List.of(b32("r")), versions(1), List.of(b32("h")), List.of(), List.of(z)),
                "LengthMismatch");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r"), z),
                        versions(1, 1),
                        List.of(b32("h"), b32("h")),
                        List.of(new byte[] {1}, new byte[] {1}),
                        List.of(z, z)),
                "ZeroResource");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r")), versions(0), List.of(b32("h")), List.of(new byte[] {1}), List.of(z)),
                "ZeroVersion");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r")), versions(1), List.of(z), List.of(new byte[] {1}), List.of(z)),
                "ZeroContentHash");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r")), versions(1), List.of(b32("h")), List.of(new byte[0]), List.of(z)),
                "EmptyCid");
    }

    @Test
    void rejectsDuplicatesWithinAndAcrossBatches() throws Exception {
        byte[] z = new byte[32];
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("r"), b32("r")),
                        versions(1, 1),
                        List.of(b32("h"), b32("h2")),
                        List.of(new byte[] {1}, new byte[] {2}),
                        List.of(z, z)),
                "DuplicateRecord");
        ok(asCustodian.appendRecords(
                List.of(b32("r")), versions(1), List.of(b32("h")), List.of(new byte[] {1}), List.of(z)));
        var again = asCustodian.appendRecords(
                List.of(b32("s"), b32("r")),
                versions(1, 1),
                List.of(b32("h"), b32("h")),
                List.of(new byte[] {1}, new byte[] {1}),
                List.of(z, z));
        chain.assertReverts(1, address, again, "DuplicateRecord");
        assertThat(chain.sendUnchecked(1, address, again).isStatusOK()).isFalse();
        assertThat(asCustodian.nextSeq().send()).isEqualTo(1); // the whole batch reverted: no gap, no partial append
        assertThat(asCustodian
                        .contentHashOf(custodian, b32("s"), BigInteger.ONE)
                        .send())
                .isEqualTo(z);
    }

    @Test
    void anotherCustodianCannotClaimOrBlockACustodiansNextVersion() throws Exception {
        byte[] z = new byte[32];
        ok(asCustodian.appendRecords(
                List.of(b32("Observation/R")),
                versions(3),
                List.of(b32("real3")),
                List.of(new byte[] {3}),
                List.of(b32("Patient/P"))));
        // B saw (R, 3) and appends (R, 4) with junk before A does
        TransactionReceipt junk = ok(asOtherCustodian.appendRecords(
                List.of(b32("Observation/R")),
                versions(4),
                List.of(b32("junk")),
                List.of(new byte[] {9}),
                List.of(b32("Patient/P"))));
        assertThat(RecordLedger.getRecordAppendedEvents(junk))
                .singleElement()
                .satisfies(e -> assertThat(e.custodian).isEqualToIgnoringCase(otherCustodian));
        assertThat(asCustodian
                        .contentHashOf(custodian, b32("Observation/R"), BigInteger.valueOf(4))
                        .send())
                .as("B's entry is not A's")
                .isEqualTo(z);

        // A's genuine version 4 is still accepted, and A's view is A's content
        TransactionReceipt real = ok(asCustodian.appendRecords(
                List.of(b32("Observation/R")),
                versions(4),
                List.of(b32("real4")),
                List.of(new byte[] {4}),
                List.of(b32("Patient/P"))));
        assertThat(RecordLedger.getRecordAppendedEvents(real)).singleElement().satisfies(e -> {
            assertThat(e.custodian).isEqualToIgnoringCase(custodian);
            assertThat(e.contentHash).isEqualTo(b32("real4"));
        });
        assertThat(asCustodian
                        .contentHashOf(custodian, b32("Observation/R"), BigInteger.valueOf(4))
                        .send())
                .isEqualTo(b32("real4"));
        assertThat(asCustodian
                        .contentHashOf(otherCustodian, b32("Observation/R"), BigInteger.valueOf(4))
                        .send())
                .isEqualTo(b32("junk"));
        assertThat(asCustodian
                        .contentHashOf(otherCustodian, b32("Observation/R"), BigInteger.valueOf(3))
                        .send())
                .isEqualTo(z);

        // a custodian's own duplicates are still refused, for each custodian
        chain.assertReverts(
                1,
                address,
                asCustodian.appendRecords(
                        List.of(b32("Observation/R")),
                        versions(4),
                        List.of(b32("real4")),
                        List.of(new byte[] {4}),
                        List.of(b32("Patient/P"))),
                "DuplicateRecord");
        chain.assertReverts(
                3,
                address,
                asOtherCustodian.appendRecords(
                        List.of(b32("Observation/R")),
                        versions(4),
                        List.of(b32("other")),
                        List.of(new byte[] {5}),
                        List.of(b32("Patient/P"))),
                "DuplicateRecord");
        assertThat(asCustodian.nextSeq().send()).isEqualTo(3);
    }

    @Test
    void gasPerEntryAtBatch100() throws Exception {
        for (int round = 0; round < 2; round++) { // the second batch: nextSeq is no longer a fresh slot
            int n = 100;
            List<byte[]> resources = new java.util.ArrayList<>();
            List<byte[]> hashes = new java.util.ArrayList<>();
            List<byte[]> cids = new java.util.ArrayList<>();
            List<byte[]> patients = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                resources.add(b32("Observation/gas-" + round + "-" + i));
                hashes.add(b32("h" + i));
                cids.add(b32("cid" + i)); // 32 bytes, about the length of a CID
                patients.add(b32("Patient/P"));
            }
            TransactionReceipt r = ok(asCustodian.appendRecords(
                    resources, java.util.Collections.nCopies(n, BigInteger.ONE), hashes, cids, patients));
            long perEntry = r.getGasUsed().longValueExact() / n;
            System.out.println("RecordLedger gas per entry at batch " + n + " (round " + round + "): " + perEntry);
            assertThat(perEntry).isLessThan(31_000);
        }
    }
}
