package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.fhirledger.server.api.FhirServerUnderTest;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The durable audit log on a real server and database: an access is a committed audit record before its answer, an
 * AuditEvent search sees it at once (read-your-audits), a crash between storing AuditEvents and marking their
 * records leaves each record with exactly one AuditEvent and one access-ledger row, and an audit log that cannot
 * take a record fails the request closed.
 */
public interface AuditLogContract extends FhirServerUnderTest {

    ObjectMapper JSON = new ObjectMapper();

    /** A bean of the server under test. */
    <T> T bean(Class<T> type);

    private String patient(String family) {
        HttpResponse<String> r = send(
                "POST",
                "/Patient",
                "application/fhir+json",
                ("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return ctx().newJsonParser().parseResource(r.body()).getIdElement().getIdPart();
    }

    private List<Long> pendingRecords() {
        return bean(JdbcTemplate.class)
                .queryForList("select id from fl_audit_record where done = false order by id", Long.class);
    }

    private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 20 s: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    default void anAccessAnsweredIsInAnAuditEventSearchAtOnce() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        String id = patient("Timeline");
        materialiser.pause(true);
        try {
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            // the read's record is committed, and (the background materialiser held back) not an AuditEvent yet
            List<Long> beforeSearch = pendingRecords();
            assertThat(beforeSearch).isNotEmpty();
            HttpResponse<String> search = send("GET", "/AuditEvent?patient=Patient/" + id + "&_count=100", null, null);
            assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
            List<String> interactions = new ArrayList<>();
            for (JsonNode e : JSON.readTree(search.body()).path("entry")) {
                interactions.add(e.at("/resource/subtype/0/code").asText());
            }
            assertThat(interactions).contains("create", "read");
            // (the search's own record is committed as it answers)
            assertThat(pendingRecords()).doesNotContainAnyElementsOf(beforeSearch);
        } finally {
            materialiser.pause(false);
        }
    }

    /**
     * Reading one AuditEvent waits for its own record only: for an AuditEvent a client stored, none; for one the log
     * materialises, that record and those before it, never the backlog after it.
     */
    @Test
    default void readingOneAuditEventWaitsForItsOwnRecordOnly() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        HttpResponse<String> created = send(
                "POST",
                "/AuditEvent",
                "application/fhir+json",
                ("{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://dicom.nema.org/resources/ontology/DCM\","
                                + "\"code\":\"110110\"},\"recorded\":\"2025-01-01T10:00:00Z\",\"outcome\":\"0\","
                                + "\"agent\":[{\"requestor\":true,\"who\":{\"display\":\"system\"}}],"
                                + "\"source\":{\"observer\":{\"display\":\"fhir-ledger\"}}}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String clientEvent = ctx().newJsonParser()
                .parseResource(created.body())
                .getIdElement()
                .getIdPart();
        String id = patient("OneEvent");
        materialiser.pause(true);
        try {
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            List<Long> backlog = bean(JdbcTemplate.class)
                    .queryForList(
                            "select id from fl_audit_record where done = false and attempts = 0 order by id",
                            Long.class);
            assertThat(backlog).hasSizeGreaterThanOrEqualTo(2);
            long newest = backlog.get(backlog.size() - 1);

            HttpResponse<String> r = send("GET", "/AuditEvent/" + clientEvent, null, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(pendingRecords()).containsAll(backlog);

            long first = backlog.get(0);
            r = send("GET", "/AuditEvent/" + AuditRecord.eventIdOf(first), null, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(pendingRecords()).doesNotContain(first).contains(newest);
        } finally {
            materialiser.pause(false);
        }
    }

    /**
     * After a commit wakes it, the materialiser lets the next commits join its batch ({@code audit.linger}): two
     * reads in a row become AuditEvents in one transaction. A reader waiting for the audit trail on this (the
     * materialising) replica is not held by the linger (it does the batch itself): with a linger longer than the
     * read-wait, an AuditEvent search still answers with the access just before it instead of 503.
     */
    @Test
    default void recordsCommittedWithinTheLingerJoinOneBatchAndNoReaderWaitsForIt() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        JdbcTemplate jdbc = bean(JdbcTemplate.class);
        String id = patient("Linger");
        materialiser.catchUp();
        List<List<Long>> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        materialiser.linger(Duration.ofSeconds(3));
        try {
            Thread.sleep(300); // a linger begun before (at the default length, by the create) is over
            materialiser.afterStoringBeforeMarking(ids -> batches.add(List.copyOf(ids)));
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            long first = jdbc.queryForObject("select max(id) from fl_audit_record", Long.class);
            assertThat(send("GET", "/Patient/" + id + "/_history", null, null).statusCode())
                    .isEqualTo(200);
            long second = jdbc.queryForObject("select max(id) from fl_audit_record", Long.class);
            await(() -> pendingRecords().stream().noneMatch(r -> r <= second), "both reads materialised");
            assertThat(batches).anySatisfy(b -> assertThat(b).contains(first, second));

            materialiser.linger(Duration.ofSeconds(60));
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            long third = jdbc.queryForObject("select max(id) from fl_audit_record", Long.class);
            HttpResponse<String> search = send("GET", "/AuditEvent?patient=Patient/" + id + "&_count=100", null, null);
            assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
            List<String> events = new ArrayList<>();
            for (JsonNode e : JSON.readTree(search.body()).path("entry")) {
                events.add(e.at("/resource/id").asText());
            }
            assertThat(events).contains(AuditRecord.eventIdOf(third));
        } finally {
            materialiser.afterStoringBeforeMarking(null);
            materialiser.linger(null);
            materialiser.pause(false); // cuts a lingering loop short
        }
    }

    /**
     * A record whose AuditEvent cannot be stored (here its transaction fails after storing it, every time until the
     * cause is removed) holds no other record back and no reader: an AuditEvent search answers at once with the
     * accesses around it. The record is kept, marked (tries, error class), shown by the health indicator, and
     * materialised, once, by a later try when the cause is gone.
     */
    @Test
    default void aRecordThatCannotBeMaterialisedHoldsNoOneBackAndIsTriedAgain() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        AuditHealthIndicator health = bean(AuditHealthIndicator.class);
        JdbcTemplate jdbc = bean(JdbcTemplate.class);
        String id = patient("Stuck");
        AtomicBoolean refuse = new AtomicBoolean(true);
        AtomicLong stuck = new AtomicLong(-1);
        materialiser.pause(true);
        try {
            assertThat(send("GET", "/Patient/" + id, null, null).statusCode()).isEqualTo(200);
            stuck.set(jdbc.queryForObject("select max(id) from fl_audit_record", Long.class));
            assertThat(send("GET", "/Patient/" + id + "/_history", null, null).statusCode())
                    .isEqualTo(200);
            long after = jdbc.queryForObject("select max(id) from fl_audit_record", Long.class);
            assertThat(after).isGreaterThan(stuck.get());
            materialiser.afterStoringBeforeMarking(ids -> {
                if (refuse.get() && ids.contains(stuck.get())) {
                    throw new IllegalStateException("simulated failure of this record's AuditEvent");
                }
            });
            HttpResponse<String> search = send("GET", "/AuditEvent?patient=Patient/" + id + "&_count=100", null, null);
            assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
            List<String> events = new ArrayList<>();
            for (JsonNode e : JSON.readTree(search.body()).path("entry")) {
                events.add(e.at("/resource/id").asText());
            }
            assertThat(events)
                    .contains(AuditRecord.eventIdOf(after))
                    .doesNotContain(AuditRecord.eventIdOf(stuck.get()));
            Map<String, Object> row = jdbc.queryForMap(
                    "select done, attempts, last_error from fl_audit_record where id = ?", stuck.get());
            assertThat(row.get("done")).isEqualTo(false);
            assertThat(((Number) row.get("attempts")).intValue()).isGreaterThanOrEqualTo(1);
            assertThat((String) row.get("last_error")).isEqualTo(IllegalStateException.class.getName());
            Health down = health.health();
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            assertThat(down.getDetails()).containsEntry("oldestFailedRecord", stuck.get());

            // the cause removed, a later try (after audit.retry-backoff) stores it, once
            refuse.set(false);
            materialiser.pause(false);
            await(
                    () -> jdbc.queryForObject(
                            "select done from fl_audit_record where id = ?", Boolean.class, stuck.get()),
                    "the failed record materialised on a later try");
            assertThat(outboxRows(jdbc, List.of(stuck.get()))).isEqualTo(1);
            assertThat(send("GET", "/AuditEvent/" + AuditRecord.eventIdOf(stuck.get()), null, null)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        } finally {
            materialiser.afterStoringBeforeMarking(null);
            materialiser.pause(false);
        }
    }

    /**
     * A backlog that takes longer than {@code audit.read-wait} to materialise (a large transaction before the read, a
     * busy server) is no stalled materialiser: the reader waits while batches keep committing and then answers with
     * every access before it, rather than 503. Each batch is made to look 0.8 read-waits long on the wait's clock, so
     * the three batches together take longer than one read-wait.
     */
    @Test
    default void aReaderWaitsForABacklogLongerThanTheReadWaitWhileItIsMaterialised() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        AuditProperties settings = bean(AuditProperties.class);
        JdbcTemplate jdbc = bean(JdbcTemplate.class);
        AtomicLong clock = new AtomicLong(System.nanoTime());
        AtomicInteger batches = new AtomicInteger();
        long batchTakes = settings.readWait().toNanos() * 8 / 10;
        materialiser.pause(true);
        try {
            // one transaction, one record per resource it creates: a backlog of three batches
            StringBuilder tx = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
            for (int i = 0; i < 2 * settings.batchSize() + 1; i++) {
                if (i > 0) tx.append(',');
                tx.append("{\"resource\":{\"resourceType\":\"Basic\",\"code\":{\"text\":\"backlog\"}},"
                        + "\"request\":{\"method\":\"POST\",\"url\":\"Basic\"}}");
            }
            tx.append("]}");
            HttpResponse<String> written =
                    send("POST", "", "application/fhir+json", tx.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
            long last = jdbc.queryForObject("select max(id) from fl_audit_record", Long.class);
            assertThat(pendingRecords().size()).isGreaterThan(2 * settings.batchSize());
            materialiser.readWaitClock(clock::get);
            materialiser.afterStoringBeforeMarking(ids -> {
                batches.incrementAndGet();
                clock.addAndGet(batchTakes);
            });
            HttpResponse<String> search = send("GET", "/AuditEvent?_count=1", null, null);
            assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
            assertThat(batches.get()).as("batches the reader waited for").isGreaterThanOrEqualTo(3);
            assertThat(jdbc.queryForObject(
                            "select count(*) from fl_audit_record where done = false and id <= ?", Long.class, last))
                    .as("records before the search left unmaterialised")
                    .isZero();
        } finally {
            materialiser.afterStoringBeforeMarking(null);
            materialiser.readWaitClock(null);
            materialiser.pause(false);
        }
    }

    @Test
    default void aCrashBetweenStoringAuditEventsAndMarkingTheirRecordsMaterialisesEachRecordOnce() throws Exception {
        AuditMaterialiser materialiser = bean(AuditMaterialiser.class);
        JdbcTemplate jdbc = bean(JdbcTemplate.class);
        materialiser.pause(true);
        AtomicInteger crashes = new AtomicInteger();
        AtomicLong handedToLedgerBeforeCrash = new AtomicLong(-1);
        List<Long> crashedBatch = new ArrayList<>();
        try {
            String id = patient("Crash");
            for (int i = 0; i < 3; i++) {
                assertThat(send("GET", "/Patient/" + id, null, null).statusCode())
                        .isEqualTo(200);
            }
            List<Long> records = pendingRecords();
            assertThat(records).hasSizeGreaterThanOrEqualTo(4);
            materialiser.afterStoringBeforeMarking(ids -> {
                if (crashes.getAndIncrement() > 0) return;
                crashedBatch.addAll(ids);
                // in the batch's transaction: its AuditEvents are stored, each with its access-ledger outbox row
                handedToLedgerBeforeCrash.set(outboxRows(jdbc, ids));
                throw new IllegalStateException("simulated crash before the records are marked");
            });
            // a restart: the materialiser starts afresh from the database
            materialiser.stop();
            materialiser.pause(false);
            materialiser.start();
            long last = records.get(records.size() - 1);
            await(
                    () -> jdbc.queryForObject(
                                    "select count(*) from fl_audit_record where done = false and id <= ?",
                                    Long.class,
                                    last)
                            == 0,
                    "records materialised after the crash");
            assertThat(crashes.get()).as("the crash happened").isGreaterThanOrEqualTo(2);
            assertThat(crashedBatch).containsAll(records);
            assertThat(handedToLedgerBeforeCrash.get()).isEqualTo(crashedBatch.size());
            for (long record : records) {
                String eventId = AuditRecord.eventIdOf(record);
                assertThat(jdbc.queryForObject(
                                "select count(*) from HFJ_RES_VER where RES_TYPE = 'AuditEvent' and RES_ID ="
                                        + " (select RES_ID from HFJ_RESOURCE where RES_TYPE = 'AuditEvent' and FHIR_ID = ?)",
                                Long.class,
                                eventId))
                        .as("versions of " + eventId)
                        .isEqualTo(1);
                assertThat(outboxRows(jdbc, List.of(record)))
                        .as("access-ledger rows of " + eventId)
                        .isEqualTo(1);
            }
        } finally {
            materialiser.afterStoringBeforeMarking(null);
            materialiser.pause(false);
            if (!materialiser.isRunning()) materialiser.start();
        }
    }

    private static long outboxRows(JdbcTemplate jdbc, List<Long> records) {
        long n = 0;
        for (long r : records) {
            n += jdbc.queryForObject(
                    "select count(*) from fl_outbox where res_type = 'AuditEvent' and res_id = ?",
                    Long.class,
                    AuditRecord.eventIdOf(r));
        }
        return n;
    }

    @Test
    default void anAuditLogThatCannotTakeTheRecordFailsTheRequestClosed() {
        String family = "Closed" + UUID.randomUUID().toString().replace("-", "");
        String id = patient(family);
        JdbcTemplate jdbc = bean(JdbcTemplate.class);
        jdbc.execute("alter table fl_audit_record rename to fl_audit_record_off");
        try {
            for (String path : List.of("/Patient/" + id, "/Patient?_id=" + id)) {
                HttpResponse<String> r = send("GET", path, null, null);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                OperationOutcome oo = (OperationOutcome) ctx().newJsonParser().parseResource(r.body());
                assertThat(oo.getIssueFirstRep().getDiagnostics()).contains("could not be audited");
                assertThat(r.body()).doesNotContain(family).doesNotContain("\"resourceType\":\"Patient\"");
            }
        } finally {
            jdbc.execute("alter table fl_audit_record_off rename to fl_audit_record");
        }
        assertThat(send("GET", "/Patient/" + id, null, null).body()).contains(family);
    }
}
