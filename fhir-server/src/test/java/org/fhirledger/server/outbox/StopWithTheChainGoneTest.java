package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * What Ctrl-C under bin/run used to do: the chain stops first, then the server gets SIGTERM. The server exits
 * within seconds (its ledger adapter, writer and follower do not wait on a chain that is gone), and what it committed
 * during the outage stays in the outbox and reaches the chain after the restart.
 */
class StopWithTheChainGoneTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Short outage settings, so the bound below is a few seconds, not the production defaults. */
    private static final String[] SHORT = {
        "--ledger.probe-interval=500ms",
        "--ledger.rpc-timeout=2s",
        "--ledger.unavailable-timeout=1s",
        "--ledger.close-timeout=2s",
        "--spring.lifecycle.timeout-per-shutdown-phase=2s",
        "--outbox.retry-max=1s"
    };

    @Test
    void sigtermWithTheChainStoppedExitsPromptlyAndTheRestartDeliversEveryCommittedVersion() throws Exception {
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "stop-");
        List<String> ids = new ArrayList<>();
        ServerProcess first = ServerProcess.start(data, anvil.rpcUrl(), anvil.chainId(), SHORT);
        String token = DevTokens.mint(data, Role.CUSTODIAN, null);
        try {
            for (int i = 0; i < 3; i++)
                ids.add(created(first.post(token, "Patient", "{\"resourceType\":\"Patient\"}")));
            PipelineServer.await(() -> backlog(first) == 0, Duration.ofSeconds(120), "first writes confirmed");

            anvil.stop();
            // committed while the chain is gone (roles cached): they wait in the outbox
            for (int i = 0; i < 3; i++)
                ids.add(created(first.post(token, "Patient", "{\"resourceType\":\"Patient\"}")));
            PipelineServer.await(() -> backlog(first) >= 3, Duration.ofSeconds(30), "outage writes queued");

            first.process.destroy(); // SIGTERM
            assertThat(first.process.waitFor(20, TimeUnit.SECONDS))
                    .as("the server exits within 20 s of SIGTERM with the chain gone; see " + first.log)
                    .isTrue();
        } finally {
            first.process.destroyForcibly();
        }

        anvil.start();
        try (ServerProcess second = ServerProcess.start(data, anvil.rpcUrl(), anvil.chainId(), SHORT)) {
            PipelineServer.await(
                    () -> backlog(second) == 0 && drainedStill(second),
                    Duration.ofSeconds(120),
                    "outbox and audit log drained after the restart");
        }
        // the database is the truth about what was committed: every version of those patients is on the ledger
        JdbcTemplate jdbc = new JdbcTemplate(new DriverManagerDataSource(
                "jdbc:h2:file:" + data.resolve("h2/fhir") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", ""));
        List<Map<String, Object>> versions = jdbc.queryForList("select r.fhir_id, v.res_ver from hfj_res_ver v"
                + " join hfj_resource r on r.res_id = v.res_id where r.res_type = 'Patient'");
        assertThat(versions).hasSize(ids.size());
        assertThat(jdbc.queryForObject("select count(*) from fl_outbox where state <> 'CONFIRMED'", Long.class))
                .isZero();
        Pseudonymizer pseudonyms = Pseudonymizer.fromDataDir(data);
        try (Web3jLedger ledger = CrashRounds.readerOf(data, anvil)) {
            for (Map<String, Object> v : versions) {
                Bytes32 resource = Bytes32.of(pseudonyms.pseudonym("Patient/" + v.get("fhir_id")));
                assertThat(ledger.findRecord(resource, ((Number) v.get("res_ver")).longValue()))
                        .as("on the ledger: " + v)
                        .isPresent();
            }
        }
    }

    /** A second look a moment later: the two counts are read one after the other, not in one transaction. */
    private static boolean drainedStill(ServerProcess s) {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return backlog(s) == 0;
    }

    private static long backlog(ServerProcess s) {
        try {
            JsonNode components = s.health().path("components");
            long outbox =
                    components.path("outbox").path("details").path("backlog").asLong(-1);
            // audit records committed before the stop become AuditEvents after the restart, each a version the
            // pipeline then records: drained means both are
            JsonNode audit = components.path("audit").path("details");
            long auditPending =
                    audit.isMissingNode() ? 0 : audit.path("pending").asLong(-1);
            return outbox < 0 || auditPending < 0 ? -1 : outbox + auditPending;
        } catch (Exception e) {
            return -1;
        }
    }

    private static String created(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }
}
