package org.fhirledger.server.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.OutboxRow;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/**
 * The read check asks the chain, then reads the outbox row. The writer confirming the version in between (the chain
 * said "not there", the row then says "confirmed") is a legitimate write and must not be taken for tampering. The
 * chain's answers are scripted here to put the confirmation exactly in that window; the outbox is the real one.
 */
class IntegrityCheckerRaceTest {

    @Test
    void aVersionConfirmedBetweenTheChainLookupAndTheRowReadIsNotTampered() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:integrity-race;DB_CLOSE_DELAY=-1");
        OutboxStore outbox = new OutboxStore(h2);
        outbox.createSchema();
        byte[] json = "{\"resourceType\":\"Patient\",\"id\":\"p1\"}".getBytes(StandardCharsets.UTF_8);
        Bytes32 hash = CanonicalResource.contentHash(json);
        outbox.insert(
                OutboxRow.Kind.RECORD,
                "Patient",
                "p1",
                1,
                Bytes32.of(new byte[32]),
                Bytes32.of(new byte[32]),
                hash,
                new byte[] {1},
                null);
        long id = outbox.jdbc().queryForObject("select id from fl_outbox where res_id = 'p1'", Long.class);

        LedgerRecords chain = new LedgerRecords(null, null, new IntegrityProperties(null, null, null)) {
            private boolean recorded;

            @Override
            public Lookup recordHash(String type, String rid, long version, Bytes32 resource) {
                if (recorded) return new Lookup.Found(hash);
                // not on chain when asked; the writer records and confirms it right after
                recorded = true;
                outbox.jdbc().update("update fl_outbox set state = 'CONFIRMED' where id = ?", id);
                return new Lookup.Absent();
            }
        };
        IntegrityChecker checker = new IntegrityChecker(
                chain,
                outbox,
                new Pseudonyms(Pseudonymizer.fromSecret(
                        "a test secret of 32 bytes length".getBytes(StandardCharsets.US_ASCII))),
                () -> Long.MAX_VALUE);

        assertThat(checker.check("Patient", "p1", 1, json)).isEqualTo(Verdict.VERIFIED);
        // a body that differs from the recorded one is still caught
        assertThat(checker.check(
                        "Patient",
                        "p1",
                        1,
                        "{\"resourceType\":\"Patient\",\"id\":\"p2\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(Verdict.TAMPERED);
    }

    /**
     * The embedded node crashed and came back from its snapshot without the block that confirmed the version; until
     * the outbox records it again, a read must not raise an alarm. Below the durable block, absent is tampering.
     */
    @Test
    void aVersionConfirmedAboveTheDurableBlockAndLostWithItIsPendingNotTampered() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:integrity-lost;DB_CLOSE_DELAY=-1");
        OutboxStore outbox = new OutboxStore(h2);
        outbox.createSchema();
        byte[] json = "{\"resourceType\":\"Patient\",\"id\":\"p1\"}".getBytes(StandardCharsets.UTF_8);
        outbox.insert(
                OutboxRow.Kind.RECORD,
                "Patient",
                "p1",
                1,
                Bytes32.of(new byte[32]),
                Bytes32.of(new byte[32]),
                CanonicalResource.contentHash(json),
                new byte[] {1},
                null);
        outbox.jdbc().update("update fl_outbox set state = 'CONFIRMED', block_number = 50 where res_id = 'p1'");
        LedgerRecords lostIt = new LedgerRecords(null, null, new IntegrityProperties(null, null, null)) {
            @Override
            public Lookup recordHash(String type, String rid, long version, Bytes32 resource) {
                return new Lookup.Absent();
            }
        };
        java.util.concurrent.atomic.AtomicLong durable = new java.util.concurrent.atomic.AtomicLong(40);
        IntegrityChecker checker = new IntegrityChecker(
                lostIt,
                outbox,
                new Pseudonyms(Pseudonymizer.fromSecret(
                        "a test secret of 32 bytes length".getBytes(StandardCharsets.US_ASCII))),
                durable::get);

        assertThat(checker.check("Patient", "p1", 1, json)).isEqualTo(Verdict.PENDING);
        assertThat(checker.check(
                        "Patient",
                        "p1",
                        1,
                        "{\"resourceType\":\"Patient\",\"id\":\"p2\"}".getBytes(StandardCharsets.UTF_8)))
                .as("a body other than the one recorded is still caught")
                .isEqualTo(Verdict.TAMPERED);
        durable.set(50);
        assertThat(checker.check("Patient", "p1", 1, json))
                .as("at or below the durable block, a confirmed record the chain lacks is an alarm")
                .isEqualTo(Verdict.TAMPERED);
    }
}
