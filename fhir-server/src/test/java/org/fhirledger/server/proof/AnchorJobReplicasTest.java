package org.fhirledger.server.proof;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.server.testing.TwoChains;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Two replicas on one PostgreSQL database (and one data directory), both with anchoring on: one of them follows the
 * private chain into the Merkle log and anchors it, the other waits; every chain entry is in the log once, in
 * sequence. When the active one stops, the other takes over and carries on from where it stopped. With the private
 * chain gone, $ledger-status says so within the probe interval.
 */
class AnchorJobReplicasTest {

    @RegisterExtension
    static final TwoChains chains = TwoChains.privateBlockTime(1);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void oneReplicaFollowsAndAnchorsAndTheOtherTakesOverWhenItStops() throws Exception {
        String db = "anchorjob_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        String jdbcUrl = PostgresInitializer.postgres().getJdbcUrl("postgres", db);
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "anchor-job-");
        PipelineServer a = replica(data, jdbcUrl);
        PipelineServer b = replica(data, jdbcUrl);
        try {
            String auditor = DevTokens.mint(data, Role.AUDITOR, null);
            PipelineServer.await(() -> active(a) ^ active(b), Duration.ofSeconds(20), "exactly one anchor job active");
            PipelineServer active = active(a) ? a : b;
            PipelineServer standby = active == a ? b : a;
            for (int i = 0; i < 5; i++)
                a.client().create().resource(new Patient()).execute();
            a.awaitBacklogEmpty(Duration.ofSeconds(60));
            awaitLogged(active, Duration.ofSeconds(30));
            assertThat(active(standby)).as("still one active").isFalse();
            assertLogHoldsEveryEntryOnce(active.jdbc());
            awaitStatus(
                    standby,
                    auditor,
                    s -> "standby".equals(value(s, "anchorJob"))
                            && value(s, "logSize").equals(value(status(active, auditor), "logSize")));
            long anchoredBefore = Long.parseLong(value(
                    awaitStatus(active, auditor, s -> Long.parseLong(value(s, "anchoredSize")) > 0), "anchoredSize"));

            active.close(); // its session ends: the lock is free
            PipelineServer.await(() -> active(standby), Duration.ofSeconds(20), "the standby takes over");
            for (int i = 0; i < 3; i++)
                standby.client().create().resource(new Patient()).execute();
            standby.awaitBacklogEmpty(Duration.ofSeconds(60));
            awaitLogged(standby, Duration.ofSeconds(30));
            assertLogHoldsEveryEntryOnce(standby.jdbc());
            JsonNode after =
                    awaitStatus(standby, auditor, s -> Long.parseLong(value(s, "anchoredSize")) > anchoredBefore);
            assertThat(value(after, "status")).as(after.toString()).isEqualTo("ok");
            assertThat(standby.jdbc().queryForObject("select count(distinct tree_size) from fl_anchor", Long.class))
                    .as("no tree size anchored twice")
                    .isEqualTo(standby.jdbc().queryForObject("select count(*) from fl_anchor", Long.class));

            // the private chain gone: $ledger-status says so within the probe interval, before any read times out
            chains.privateChain().stop();
            JsonNode down = awaitStatus(standby, auditor, s -> "degraded".equals(value(s, "status")));
            assertThat(value(down, "privateChainError")).as(down.toString()).isNotBlank();
        } finally {
            a.close();
            b.close();
            if (!chains.privateChain().isRunning()) chains.privateChain().start();
        }
    }

    private static PipelineServer replica(Path data, String jdbcUrl) {
        return chains.startPipeline(
                data,
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=",
                "--outbox.lock-retry=500ms",
                "--ledger.probe-interval=500ms",
                "--ledger.unavailable-timeout=1s",
                "--ledger.rpc-timeout=2s",
                "--ledger.close-timeout=1s");
    }

    private static boolean active(PipelineServer s) {
        try {
            return s.ctx.isActive()
                    && s.ctx.getBean(AnchorService.class).state().active();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Every entry the private chain holds for this server (records and accesses) is in the log. */
    private static void awaitLogged(PipelineServer s, Duration timeout) {
        JdbcTemplate jdbc = s.jdbc();
        PipelineServer.await(
                () -> {
                    long entries =
                            jdbc.queryForObject("select count(*) from fl_outbox where state = 'CONFIRMED'", Long.class);
                    return jdbc.queryForObject("select count(*) from fl_ledger_leaf", Long.class) >= entries;
                },
                timeout,
                "every confirmed outbox row followed into the log");
    }

    /** Each lane's sequence numbers 0..n-1 once each, and the Merkle log as large as the leaf index. */
    private static void assertLogHoldsEveryEntryOnce(JdbcTemplate jdbc) {
        for (var row : jdbc.queryForList("select lane, count(*) n, count(distinct seq) d, min(seq) lo, max(seq) hi"
                + " from fl_ledger_leaf group by lane")) {
            long n = ((Number) row.get("n")).longValue();
            assertThat(((Number) row.get("d")).longValue())
                    .as("no entry twice: " + row)
                    .isEqualTo(n);
            assertThat(((Number) row.get("lo")).longValue()).as(row.toString()).isZero();
            assertThat(((Number) row.get("hi")).longValue())
                    .as("no gap: " + row)
                    .isEqualTo(n - 1);
        }
        assertThat(jdbc.queryForObject("select count(*) from fl_ledger_leaf", Long.class))
                .isEqualTo(jdbc.queryForObject("select count(*) from fl_outbox where state = 'CONFIRMED'", Long.class));
    }

    private static JsonNode status(PipelineServer s, String token) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(s.baseUrl() + "/$ledger-status"))
                            .timeout(Duration.ofSeconds(10))
                            .header("Authorization", "Bearer " + token)
                            .header("Accept", "application/fhir+json")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode awaitStatus(PipelineServer s, String token, java.util.function.Predicate<JsonNode> wanted) {
        JsonNode[] last = {null};
        try {
            PipelineServer.await(
                    () -> wanted.test(last[0] = status(s, token)), Duration.ofSeconds(30), "$ledger-status");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + last[0], e);
        }
        return last[0];
    }

    private static String value(JsonNode params, String name) {
        for (JsonNode p : params.path("parameter")) {
            if (p.path("name").asText().equals(name)) {
                var it = p.fields();
                while (it.hasNext()) {
                    var f = it.next();
                    if (f.getKey().startsWith("value")) return f.getValue().asText();
                }
            }
        }
        return null;
    }
}
