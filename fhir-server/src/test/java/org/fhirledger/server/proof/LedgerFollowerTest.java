package org.fhirledger.server.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.AnchorTestChains;
import org.fhirledger.anchor.Anchorer;
import org.fhirledger.anchor.HistoryRewrittenException;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.web3j.LedgerEventReader;
import org.fhirledger.anchor.web3j.Web3jAnchorChain;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.fhirledger.ledger.web3j.LedgerDeployer;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.merkle.VerificationException;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * The follower on real anvils and H2: restart-safe, confirmation depth, and the private chain rewritten after an
 * anchor (a fresh chain with the same contracts, replayed with one entry changed) caught twice: by the follower
 * (its last block's hash changed) and, for a log rebuilt from the rewritten chain, by the anchor consistency check
 * and by the inclusion proof $verify would give.
 */
class LedgerFollowerTest {

    @RegisterExtension
    static final AnvilExtension original = AnvilExtension.automine();

    @RegisterExtension
    static final AnvilExtension replay = AnvilExtension.automine();

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    static Bytes32 sha(String s) throws Exception {
        return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static void record(Web3jLedger ledger, int from, int to, int changed) throws Exception {
        for (int i = from; i < to; i++) {
            ledger.appendRecord(new RecordEntry(
                            sha("Patient/" + i),
                            1,
                            sha(i == changed ? "changed" : "content " + i),
                            new byte[] {1, (byte) i},
                            sha("Patient/" + i)))
                    .join();
        }
    }

    static Web3jLedger ledger(AnvilExtension chain, ContractAddresses c) {
        return Web3jLedger.connect(
                LedgerConfig.builder(chain.rpcUrl(), chain.chainId(), c)
                        .batching(10, Duration.ofMillis(5))
                        .build(),
                chain.credentials(0));
    }

    static LedgerFollower follower(
            ProofDatabases.Db db, ProofLog log, LedgerEventReader reader, ContractAddresses c, int confirmations) {
        return new LedgerFollower(
                reader, log, new LeafIndex(db.jdbc()), db.jdbc(), db.tx(), c.fromBlock(), confirmations, 5);
    }

    @Test
    void followsRestartSafelyAndCatchesAPrivateChainRewrittenAfterAnAnchor() throws Exception {
        ContractAddresses c = AnchorTestChains.deployPrivate(original);
        ProofDatabases.Db db = ProofDatabases.fresh("h2");
        try (Web3jLedger ledger = ledger(original, c);
                LedgerEventReader reader =
                        LedgerEventReader.create(original.rpcUrl(), c.recordLedger(), c.accessLedger(), 4)) {
            record(ledger, 0, 6, -1);
            ProofLog log = db.log();
            LedgerFollower f = follower(db, log, reader, c, 2);
            while (f.step() > 0 || f.position().nextBlock() <= reader.latestBlock() - 2) {
                /* catch up */
            }
            assertThat(log.log().size())
                    .as("the last 2 blocks (one entry each) wait for confirmations")
                    .isEqualTo(4);

            // a restart: new log and follower over the same database continue where the old ones stopped
            record(ledger, 6, 9, -1);
            ProofLog log2 = db.log();
            LedgerFollower f2 = follower(db, log2, reader, c, 0);
            while (f2.step() > 0 || f2.position().nextBlock() <= reader.latestBlock()) {
                /* catch up */
            }
            assertThat(log2.log().size()).isEqualTo(9);
            assertThat(new LeafIndex(db.jdbc()).nextSeq(LedgerEvent.Lane.RECORD))
                    .isEqualTo(9);
            assertThat(f2.step()).isZero();
            for (int i = 0; i < 9; i++) {
                assertThat(new LeafIndex(db.jdbc())
                                .bySeq(LedgerEvent.Lane.RECORD, i)
                                .orElseThrow()
                                .leafIndex())
                        .isEqualTo(i);
            }

            String registry;
            Web3j pub = Web3j.build(new HttpService(publicChain.rpcUrl()));
            try {
                registry = new LedgerDeployer(pub, publicChain.credentials(0), 31338, BigInteger.ZERO)
                        .deployAnchorRegistry(publicChain.credentials(1).getAddress());
            } finally {
                pub.shutdown();
            }
            try (AnchorChain chain = Web3jAnchorChain.connect(
                    new Web3jAnchorChain.Config(
                            publicChain.rpcUrl(),
                            31338,
                            registry,
                            0,
                            BigInteger.ZERO,
                            BigInteger.valueOf(200_000),
                            Duration.ofSeconds(30),
                            1000),
                    publicChain.credentials(1))) {
                assertThat(Anchorer.anchor(log2.log(), chain)).isInstanceOf(Anchorer.Outcome.Published.class);
                var anchored = chain.latest().orElseThrow();

                // the private chain is rewritten: a fresh chain, same deployer, same contract addresses, entry 3
                // changed
                ContractAddresses c2 = AnchorTestChains.deployPrivate(replay);
                assertThat(c2.recordLedger()).isEqualToIgnoringCase(c.recordLedger());
                try (Web3jLedger replayed = ledger(replay, c2);
                        LedgerEventReader replayReader =
                                LedgerEventReader.create(replay.rpcUrl(), c2.recordLedger(), c2.accessLedger(), 4)) {
                    record(replayed, 0, 10, 3);
                    // 1. the follower, pointed at the rewritten chain, stops with an alarm
                    LedgerFollower onReplay = follower(db, db.log(), replayReader, c2, 0);
                    assertThatThrownBy(onReplay::step)
                            .isInstanceOf(LedgerFollower.ChainRewrittenException.class)
                            .hasMessageContaining("no longer has block");
                    assertThat(onReplay.alarm()).isPresent();

                    // 2. a log rebuilt from the rewritten chain (fresh database) is never anchored ...
                    ProofDatabases.Db rebuiltDb = ProofDatabases.fresh("h2");
                    ProofLog rebuilt = rebuiltDb.log();
                    LedgerFollower fr = follower(rebuiltDb, rebuilt, replayReader, c2, 0);
                    while (fr.step() > 0 || fr.position().nextBlock() <= replayReader.latestBlock()) {
                        /* catch up */
                    }
                    assertThat(rebuilt.log().size()).isEqualTo(10);
                    assertThatThrownBy(() -> Anchorer.anchor(rebuilt.log(), chain))
                            .isInstanceOf(HistoryRewrittenException.class);
                    assertThat(chain.anchorCount()).isEqualTo(anchored.index() + 1);
                    // 3. ... and the changed entry's inclusion proof does not lead to the anchored root ($verify:
                    // failed)
                    var proof = rebuilt.log().inclusionProof(3, anchored.treeSize());
                    assertThatThrownBy(() ->
                                    ProofVerifier.verifyInclusion(rebuilt.log().leafHash(3), proof, anchored.root()))
                            .isInstanceOf(VerificationException.class);
                    // the unchanged entries are the same leaves; only the changed one differs
                    assertThat(rebuilt.log().leafHash(2)).isEqualTo(log2.log().leafHash(2));
                    assertThat(rebuilt.log().leafHash(3))
                            .isNotEqualTo(log2.log().leafHash(3));
                }
            }
        }
    }
}
