package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.b32;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import java.util.List;
import org.fhirledger.contracts.generated.AccessLedger;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

class AccessLedgerContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private ChainFixture chain;
    private String address;
    private AccessLedger asCustodian;
    private AccessLedger asAuditor;
    private String actor;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        AccessRegistry registry = AccessRegistry.deploy(
                        chain.web3j, chain.tx(0), ChainFixture.GAS, ChainFixture.NO_DIRECTORY, b32("admin"))
                .send();
        ok(registry.assignRole(chain.account(1).getAddress(), BigInteger.valueOf(5), b32("Organization/H")));
        ok(registry.assignRole(chain.account(2).getAddress(), BigInteger.valueOf(4), b32("Practitioner/A")));
        address = AccessLedger.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, registry.getContractAddress())
                .send()
                .getContractAddress();
        asCustodian = AccessLedger.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
        asAuditor = AccessLedger.load(address, chain.web3j, chain.tx(2), ChainFixture.GAS);
        actor = chain.account(3).getAddress();
    }

    @AfterEach
    void close() {
        chain.close();
    }

    private org.web3j.protocol.core.RemoteFunctionCall<TransactionReceipt> append(
            AccessLedger as, int outcome, String... auditLabels) {
        int n = auditLabels.length;
        List<byte[]> hashes = java.util.Arrays.stream(auditLabels)
                .map(l -> l == null ? new byte[32] : b32(l))
                .toList();
        return as.appendAccesses(
                java.util.Collections.nCopies(n, actor),
                java.util.Collections.nCopies(n, b32("Patient/P")),
                java.util.Collections.nCopies(n, b32("Observation/1")),
                java.util.Collections.nCopies(n, BigInteger.ONE),
                java.util.Collections.nCopies(n, BigInteger.valueOf(outcome)),
                java.util.Collections.nCopies(n, BigInteger.valueOf(1_700_000_000L)),
                hashes);
    }

    @Test
    void custodianAppendsNumberedAccesses() throws Exception {
        TransactionReceipt r = ok(append(asCustodian, 1, "audit-1", "audit-2"));
        var events = AccessLedger.getAccessAppendedEvents(r);
        assertThat(events).extracting(e -> e.seq.longValueExact()).containsExactly(0L, 1L);
        assertThat(events.get(0).actor).isEqualToIgnoringCase(actor);
        assertThat(events.get(0).outcome).isEqualTo(1);
        assertThat(events.get(1).auditHash).isEqualTo(b32("audit-2"));
        var found = asCustodian.accessOf(b32("audit-2")).send();
        assertThat(found.component1()).isTrue();
        assertThat(found.component2()).isEqualTo(1);
        assertThat(asCustodian.accessOf(b32("audit-3")).send().component1()).isFalse();
        assertThat(asCustodian.nextSeq().send()).isEqualTo(2);
    }

    @Test
    void onlyACustodianAppends() throws Exception {
        chain.assertReverts(2, address, append(asAuditor, 0, "audit-1"), "NotCustodian");
        chain.assertReverts(0, address, append(asAuditor, 0, "audit-1"), "NotCustodian");
    }

    @Test
    void rejectsInvalidBatchesAndDuplicates() throws Exception {
        chain.assertReverts(1, address, append(asCustodian, 0), "EmptyBatch");
        chain.assertReverts(
                1,
                address,
                asCustodian.appendAccesses(
                        List.of(actor), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(b32("a"))),
                "LengthMismatch");
        chain.assertReverts(1, address, append(asCustodian, 0, "audit-1", null), "ZeroAuditHash");
        chain.assertReverts(1, address, append(asCustodian, 2, "audit-1"), "InvalidOutcome");
        chain.assertReverts(1, address, append(asCustodian, 0, "audit-1", "audit-1"), "DuplicateAudit");
        ok(append(asCustodian, 0, "audit-1"));
        chain.assertReverts(1, address, append(asCustodian, 0, "audit-2", "audit-1"), "DuplicateAudit");
        assertThat(asCustodian.nextSeq().send()).isEqualTo(1);
    }
}
