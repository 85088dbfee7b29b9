package org.fhirledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.anchor.AnchorTestChains.sha;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.fhirledger.anchor.web3j.LedgerEventReader;
import org.fhirledger.anchor.web3j.VerifyCli;
import org.fhirledger.anchor.web3j.Web3jAnchorChain;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.merkle.InclusionProof;
import org.fhirledger.merkle.MerkleLog;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Private chain (31337) → event reader → Merkle log → Anchorer → AnchorRegistry on a second anvil (31338). */
class AnchorerTest {

    @RegisterExtension
    static final AnvilExtension privateChain = AnvilExtension.automine();

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    private static final byte[] RESOURCE =
            "{\"resourceType\":\"Patient\",\"id\":\"1\",\"gender\":\"male\"}".getBytes(StandardCharsets.UTF_8);

    static ContractAddresses contracts;
    static Web3jLedger ledger;
    static LedgerEventReader reader;
    static String registry;
    static List<LedgerEvent> events = new ArrayList<>();

    @BeforeAll
    static void entriesOnThePrivateChain() throws Exception {
        contracts = AnchorTestChains.deployPrivate(privateChain);
        ledger = AnchorTestChains.ledger(privateChain, contracts);
        registry = AnchorTestChains.deployRegistry(
                publicChain, publicChain.credentials(1).getAddress());
        List<CompletableFuture<LedgerReceipt>> f = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            byte[] content = i == 1 ? RESOURCE : ("{\"resourceType\":\"Basic\",\"id\":\"" + i + "\"}").getBytes();
            f.add(ledger.appendRecord(new RecordEntry(
                    sha("Patient/" + i),
                    1,
                    CanonicalResource.contentHash(content),
                    new byte[] {1, 0x55, 0x12, 0x20, (byte) i},
                    sha("Patient/" + i))));
            if (i % 2 == 0) {
                f.add(ledger.appendAccess(new AccessEntry(
                        privateChain.credentials(2).getAddress(),
                        sha("Patient/" + i),
                        sha("Patient/" + i),
                        1,
                        AccessEntry.Outcome.ALLOWED,
                        1_736_899_200L + i,
                        sha("audit " + i))));
            }
            f.get(f.size() - 1).join(); // one after the other: a known chain order
        }
        reader = LedgerEventReader.create(privateChain.rpcUrl(), contracts.recordLedger(), contracts.accessLedger(), 3);
        events.addAll(reader.events(contracts.fromBlock(), reader.latestBlock()));
    }

    @AfterAll
    static void close() {
        reader.close();
        ledger.close();
    }

    private static AnchorChain anchorChain(int key) {
        return Web3jAnchorChain.connect(AnchorTestChains.config(publicChain, registry), publicChain.credentials(key));
    }

    @Test
    void readerReturnsEveryEntryInChainOrder() {
        assertThat(events).hasSize(9);
        assertThat(events.stream()
                        .filter(e -> e.lane() == LedgerEvent.Lane.RECORD)
                        .map(LedgerEvent::seq))
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(events.stream()
                        .filter(e -> e.lane() == LedgerEvent.Lane.ACCESS)
                        .map(LedgerEvent::seq))
                .containsExactly(0L, 1L, 2L);
        assertThat(events.get(2)).isInstanceOf(AccessAppended.class); // record 0, record 1, access 0, ...
        for (int i = 1; i < events.size(); i++) {
            ChainPosition a = events.get(i - 1).position();
            ChainPosition b = events.get(i).position();
            assertThat(a.blockNumber() < b.blockNumber()
                            || (a.blockNumber() == b.blockNumber() && a.logIndex() < b.logIndex()))
                    .isTrue();
        }
        RecordAppended first = (RecordAppended) events.get(0);
        assertThat(first.custodian())
                .isEqualTo(privateChain.credentials(0).getAddress().toLowerCase());
        assertThat(first.contentHash()).isEqualTo(CanonicalResource.contentHash(RESOURCE));
    }

    @Test
    void anchorsOnlyGrowingConsistentTreesAndTheStandaloneVerifierChecksAProof() throws Exception {
        MerkleLog log = MerkleLog.inMemory();
        for (LedgerEvent e : events.subList(0, 5)) log.appendLeafHash(e.leafHash());
        try (AnchorChain chain = anchorChain(1)) {
            long before = chain.anchorCount();
            Anchorer.Outcome first = Anchorer.anchor(log, chain);
            assertThat(first).isInstanceOf(Anchorer.Outcome.Published.class);
            AnchorReceipt r1 = ((Anchorer.Outcome.Published) first).receipt();
            assertThat(r1.anchor().treeSize()).isEqualTo(5);
            assertThat(r1.anchor().root()).isEqualTo(log.root());
            assertThat(r1.gasUsed()).isPositive();
            assertThat(Anchorer.anchor(log, chain)).isInstanceOf(Anchorer.Outcome.UpToDate.class);

            for (LedgerEvent e : events.subList(5, events.size())) log.appendLeafHash(e.leafHash());
            Anchorer.Outcome second = Anchorer.anchor(log, chain);
            assertThat(second).isInstanceOf(Anchorer.Outcome.Published.class);
            assertThat(((Anchorer.Outcome.Published) second).previous()).contains(r1.anchor());
            assertThat(chain.anchorCount()).isEqualTo(before + 2);
            AnchorReceipt r2 = ((Anchorer.Outcome.Published) second).receipt();
            assertThat(chain.receiptOf(r2.anchor().index()).orElseThrow().txHash())
                    .isEqualTo(r2.txHash());

            // a log with a changed entry (content hash of record 3) is refused: it rewrites anchored history
            MerkleLog rewritten = MerkleLog.inMemory();
            for (LedgerEvent e : events) {
                if (e instanceof RecordAppended r && r.seq() == 3) {
                    e = new RecordAppended(
                            r.position(),
                            r.seq(),
                            r.resource(),
                            r.version(),
                            r.patient(),
                            sha("changed"),
                            r.cid(),
                            r.custodian());
                }
                rewritten.appendLeafHash(e.leafHash());
            }
            rewritten.appendLeafHash(events.get(0).leafHash()); // and grown, so it would be anchored
            assertThatThrownBy(() -> Anchorer.anchor(rewritten, chain))
                    .isInstanceOf(HistoryRewrittenException.class)
                    .hasMessageContaining(
                            "does not extend anchor #" + r2.anchor().index());
            // a log with an entry removed likewise
            MerkleLog removed = MerkleLog.inMemory();
            for (LedgerEvent e : events)
                if (e.seq() != 1 || e.lane() != LedgerEvent.Lane.RECORD) removed.appendLeafHash(e.leafHash());
            removed.appendLeafHash(events.get(0).leafHash());
            removed.appendLeafHash(events.get(1).leafHash());
            assertThatThrownBy(() -> Anchorer.anchor(removed, chain)).isInstanceOf(HistoryRewrittenException.class);
            assertThat(chain.anchorCount()).isEqualTo(before + 2);
            // a log still catching up is not judged yet
            MerkleLog partial = MerkleLog.inMemory();
            partial.appendLeafHash(events.get(0).leafHash());
            assertThat(Anchorer.anchor(partial, chain)).isInstanceOf(Anchorer.Outcome.Behind.class);

            // the standalone verifier, from an answer shaped like $verify's
            RecordAppended entry = (RecordAppended) events.get(0);
            InclusionProof proof = log.inclusionProof(0, r2.anchor().treeSize());
            ObjectNode answer = answer(entry, 0, proof, r2);
            try (AnchorChain readOnly = Web3jAnchorChain.connect(
                    Web3jAnchorChain.Config.readOnly(publicChain.rpcUrl(), publicChain.chainId(), registry), null)) {
                StandaloneVerifier.Report ok =
                        StandaloneVerifier.verify(VerifyOutput.parse(bytes(answer)), RESOURCE, readOnly);
                assertThat(ok.verified()).as("%s", ok).isTrue();

                byte[] other = "{\"resourceType\":\"Patient\",\"id\":\"1\",\"gender\":\"female\"}".getBytes();
                assertThat(StandaloneVerifier.verify(VerifyOutput.parse(bytes(answer)), other, readOnly)
                                .checks())
                        .anyMatch(c -> c.name().equals("content") && !c.passed());

                ObjectNode forged = answer(
                        new RecordAppended(
                                entry.position(),
                                entry.seq(),
                                entry.resource(),
                                entry.version(),
                                entry.patient(),
                                CanonicalResource.contentHash(other),
                                entry.cid(),
                                entry.custodian()),
                        0,
                        proof,
                        r2);
                setValue(forged, "leafHash", null);
                StandaloneVerifier.Report bad =
                        StandaloneVerifier.verify(VerifyOutput.parse(bytes(forged)), other, readOnly);
                assertThat(bad.verified()).isFalse();
                assertThat(bad.checks()).anyMatch(c -> c.name().equals("inclusion") && !c.passed());

                ObjectNode wrongSize = answer.deepCopy();
                setValue(wrongSize, "treeSize", "5");
                assertThat(StandaloneVerifier.verify(VerifyOutput.parse(bytes(wrongSize)), RESOURCE, readOnly)
                                .verified())
                        .isFalse();
            }
            java.nio.file.Path file = java.nio.file.Files.createTempFile("verify", ".json");
            java.nio.file.Files.write(file, bytes(answer));
            assertThat(VerifyCli.run(new String[] {
                        "--rpc", publicChain.rpcUrl(), "--chain-id", "31338", "--registry", registry, file.toString()
                    }))
                    .isEqualTo(0);
            assertThat(VerifyCli.run(new String[] {
                        "--rpc",
                        publicChain.rpcUrl(),
                        "--chain-id",
                        "31338",
                        "--registry",
                        AnchorTestChains.deployRegistry(
                                publicChain, publicChain.credentials(1).getAddress()),
                        file.toString()
                    }))
                    .as("another registry has no such anchor")
                    .isEqualTo(1);
        }
    }

    @Test
    void refusalsAndAnUnreachablePublicChain() {
        MerkleLog log = MerkleLog.inMemory();
        for (LedgerEvent e : events) log.appendLeafHash(e.leafHash());
        log.appendLeafHash(events.get(0).leafHash());
        try (AnchorChain notAnchorer = anchorChain(3)) {
            assertThatThrownBy(() -> notAnchorer.publish(log.size() + 100, log.root()))
                    .isInstanceOf(AnchorRefusedException.class)
                    .hasMessageContaining("NotAnchorer");
        }
        try (AnchorChain chain = anchorChain(1)) {
            publicChain.stop();
            try {
                assertThatThrownBy(() -> Anchorer.anchor(log, chain))
                        .isInstanceOf(AnchorChainUnavailableException.class);
            } finally {
                publicChain.start();
            }
            Anchorer.Outcome o = Anchorer.anchor(log, chain);
            assertThat(o).isInstanceOfAny(Anchorer.Outcome.Published.class, Anchorer.Outcome.UpToDate.class);
        }
    }

    private static ObjectNode answer(RecordAppended e, long leafIndex, InclusionProof proof, AnchorReceipt anchor) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode p = json.createObjectNode().put("resourceType", "Parameters");
        ArrayNode params = p.putArray("parameter");
        String[][] values = {
            {"status", "valueCode", "verified"},
            {"lane", "valueCode", "record"},
            {"seq", "valueString", "" + e.seq()},
            {"resource", "valueString", e.resource().toHex()},
            {"version", "valueString", "" + e.version()},
            {"patient", "valueString", e.patient().toHex()},
            {"contentHash", "valueString", e.contentHash().toHex()},
            {"cid", "valueString", "0x" + HexFormat.of().formatHex(e.cid())},
            {"custodian", "valueString", e.custodian()},
            {"leafIndex", "valueString", "" + leafIndex},
            {"leafHash", "valueString", "0x" + e.leafHash().toHex()},
            {"treeSize", "valueString", "" + proof.treeSize()},
            {"rootHash", "valueString", "0x" + anchor.anchor().root().toHex()},
            {"publicChainId", "valueString", "31338"},
            {"anchorRegistry", "valueString", registry},
            {"anchorIndex", "valueString", "" + anchor.anchor().index()}
        };
        for (String[] v : values) params.addObject().put("name", v[0]).put(v[1], v[2]);
        ArrayNode parts = params.addObject().put("name", "inclusionProof").putArray("part");
        for (var h : proof.hashes()) parts.addObject().put("name", "hash").put("valueString", "0x" + h.toHex());
        return p;
    }

    private static void setValue(ObjectNode answer, String name, String value) {
        var it = answer.withArray("parameter").elements();
        while (it.hasNext()) {
            var p = it.next();
            if (p.path("name").asText().equals(name)) {
                if (value == null) it.remove();
                else ((ObjectNode) p).put("valueString", value);
                return;
            }
        }
    }

    private static byte[] bytes(ObjectNode n) throws Exception {
        return new ObjectMapper().writeValueAsBytes(n);
    }
}
