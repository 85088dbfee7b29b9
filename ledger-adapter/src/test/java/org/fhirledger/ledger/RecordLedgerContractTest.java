package org.fhirledger.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.ChainFixture.b32;
import static org.fhirledger.ledger.ChainFixture.ok;

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

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        AccessRegistry registry = AccessRegistry.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, b32("admin")).send();
        ok(registry.assignRole(chain.account(1).getAddress(), BigInteger.valueOf(5), b32("Organization/H")));
        ok(registry.assignRole(chain.account(2).getAddress(), BigInteger.valueOf(2), b32("Practitioner/C")));
        address = RecordLedger.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, registry.getContractAddress())
                .send().getContractAddress();
        asCustodian = RecordLedger.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
        asClinician = RecordLedger.load(address, chain.web3j, chain.tx(2), ChainFixture.GAS);
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
                List.of(b32("Observation/1"), b32("Observation/2"), b32("Observation/1")), versions(1, 1, 2),
                List.of(b32("h1"), b32("h2"), b32("h3")), List.of(new byte[] {1}, new byte[] {2}, new byte[] {3}),
                List.of(b32("Patient/P"), b32("Patient/P"), new byte[32])));
        var events = RecordLedger.getRecordAppendedEvents(r);
        assertThat(events).extracting(e -> e.seq.longValueExact()).containsExactly(0L, 1L, 2L);
        assertThat(events.get(2).resource).isEqualTo(b32("Observation/1"));
        assertThat(events.get(2).version).isEqualTo(2);
        assertThat(events.get(2).contentHash).isEqualTo(b32("h3"));
        assertThat(events.get(2).cid).containsExactly(3);
        assertThat(asCustodian.nextSeq().send()).isEqualTo(3);
        assertThat(asCustodian.contentHashOf(b32("Observation/1"), BigInteger.TWO).send()).isEqualTo(b32("h3"));
        assertThat(asCustodian.contentHashOf(b32("Observation/1"), BigInteger.valueOf(3)).send()).isEqualTo(new byte[32]);

        TransactionReceipt r2 = ok(asCustodian.appendRecords(List.of(b32("Observation/3")), versions(1),
                List.of(b32("h4")), List.of(new byte[] {4}), List.of(b32("Patient/P"))));
        assertThat(RecordLedger.getRecordAppendedEvents(r2)).singleElement()
                .satisfies(e -> assertThat(e.seq).isEqualTo(3));
    }

    @Test
    void onlyACustodianAppends() throws Exception {
        var call = asClinician.appendRecords(List.of(b32("Observation/1")), versions(1), List.of(b32("h1")),
                List.of(new byte[] {1}), List.of(b32("Patient/P")));
        chain.assertReverts(2, address, call, "NotCustodian");
        chain.assertReverts(0, address, call, "NotCustodian"); // an admin is not a custodian either
        assertThat(chain.sendUnchecked(2, address, call).isStatusOK()).isFalse();
        assertThat(asCustodian.nextSeq().send()).isZero();
    }

    @Test
    void rejectsInvalidBatches() throws Exception {
        byte[] z = new byte[32];
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(), List.of(), List.of(), List.of(), List.of()),
                "EmptyBatch");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r")), versions(1, 2), List.of(b32("h")),
                List.of(new byte[] {1}), List.of(z)), "LengthMismatch");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r")), versions(1), List.of(b32("h")),
                List.of(), List.of(z)), "LengthMismatch");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r"), z), versions(1, 1),
                List.of(b32("h"), b32("h")), List.of(new byte[] {1}, new byte[] {1}), List.of(z, z)), "ZeroResource");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r")), versions(0), List.of(b32("h")),
                List.of(new byte[] {1}), List.of(z)), "ZeroVersion");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r")), versions(1), List.of(z),
                List.of(new byte[] {1}), List.of(z)), "ZeroContentHash");
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r")), versions(1), List.of(b32("h")),
                List.of(new byte[0]), List.of(z)), "EmptyCid");
    }

    @Test
    void rejectsDuplicatesWithinAndAcrossBatches() throws Exception {
        byte[] z = new byte[32];
        chain.assertReverts(1, address, asCustodian.appendRecords(List.of(b32("r"), b32("r")), versions(1, 1),
                List.of(b32("h"), b32("h2")), List.of(new byte[] {1}, new byte[] {2}), List.of(z, z)), "DuplicateRecord");
        ok(asCustodian.appendRecords(List.of(b32("r")), versions(1), List.of(b32("h")), List.of(new byte[] {1}), List.of(z)));
        var again = asCustodian.appendRecords(List.of(b32("s"), b32("r")), versions(1, 1), List.of(b32("h"), b32("h")),
                List.of(new byte[] {1}, new byte[] {1}), List.of(z, z));
        chain.assertReverts(1, address, again, "DuplicateRecord");
        assertThat(chain.sendUnchecked(1, address, again).isStatusOK()).isFalse();
        assertThat(asCustodian.nextSeq().send()).isEqualTo(1); // the whole batch reverted: no gap, no partial append
        assertThat(asCustodian.contentHashOf(b32("s"), BigInteger.ONE).send()).isEqualTo(z);
    }
}
