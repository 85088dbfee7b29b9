package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The request pool cannot be starved by the audit log nor the background jobs: on PostgreSQL with a request pool of
 * four connections, the ledger writer, the anchor job and the audit materialiser each hold an advisory lock for good
 * and the audit log group-commits every read's record; sixteen clinicians creating and reading at once are all
 * answered 2xx (a request short of a connection for {@code connection-timeout}, or of its audit commit for
 * {@code audit.append-timeout}, would be a 5xx), and the audit log drains afterwards. With the locks and the group
 * commit on request-pool connections, three of the four are held for good and the rest starve.
 */
class SmallRequestPoolTest {

    /**
     * Mining at once: a clinician's new Patient gets its creator consent on chain inside the create's transaction
     * (ConsentMirror), so with one-second blocks each create holds its connection for a block, which is not what this
     * test is about.
     */
    @RegisterExtension
    static final AnvilExtension chain = AnvilExtension.create(31337, null, 30_000_000);

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int CLIENTS = 16;
    private static final int ROUNDS = 6;

    @Test
    void sixteenCliniciansOnFourRequestConnectionsAreAllAnsweredAndTheAuditLogDrains() throws Exception {
        String db = "pool_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "pool-");
        try (PipelineServer server = PipelineServer.start(
                data,
                chain.rpcUrl(),
                chain.chainId(),
                "--spring.datasource.url=" + PostgresInitializer.postgres().getJdbcUrl("postgres", db),
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=",
                "--spring.datasource.hikari.maximum-pool-size=4",
                // a request short of a connection this long fails (5xx) instead of queueing unseen
                "--spring.datasource.hikari.connection-timeout=5000",
                "--audit.append-timeout=5s",
                "--ledger.max-wait=10ms",
                "--anchor.enabled=true",
                "--anchor.rpc-url=" + publicChain.rpcUrl(),
                "--anchor.chain-id=31338",
                "--anchor.gas-price=0",
                "--anchor.every=1s",
                "--anchor.follow-interval=200ms")) {
            assertThat(server.ctx
                            .getBean(DataSource.class)
                            .unwrap(HikariDataSource.class)
                            .getMaximumPoolSize())
                    .as("the request pool under test")
                    .isEqualTo(4);
            String admin = DevTokens.mint(data, Role.ADMIN, null);
            assertThat(send(
                                    server,
                                    admin,
                                    "PUT",
                                    "Practitioner/dr-pool",
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"dr-pool\",\"name\":[{\"family\":\"Pool\"}]}")
                            .statusCode())
                    .isIn(200, 201);
            String clinician = DevTokens.mint(data, Role.CLINICIAN, "Practitioner/dr-pool");
            // one of each first, alone: the server's first create and read fill its caches
            HttpResponse<String> first = send(
                    server,
                    clinician,
                    "POST",
                    "Patient",
                    "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Pool\"}]}");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
            assertThat(send(
                                    server,
                                    clinician,
                                    "GET",
                                    "Patient/"
                                            + JSON.readTree(first.body())
                                                    .path("id")
                                                    .asText(),
                                    null)
                            .statusCode())
                    .isEqualTo(200);

            List<String> failures = new CopyOnWriteArrayList<>();
            AtomicInteger answered = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<?>> running = new java.util.ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    running.add(clients.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            HttpResponse<String> created = send(
                                    server,
                                    clinician,
                                    "POST",
                                    "Patient",
                                    "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Pool\"}]}");
                            note(created, "create", failures, answered);
                            if (created.statusCode() != 201) continue;
                            String id = JSON.readTree(created.body()).path("id").asText();
                            for (int read = 0; read < 2; read++) {
                                note(send(server, clinician, "GET", "Patient/" + id, null), "read", failures, answered);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) f.get(10, TimeUnit.MINUTES);
            } finally {
                clients.shutdownNow();
            }
            assertThat(failures).as("requests not answered 2xx").isEmpty();
            assertThat(answered.get()).isEqualTo(CLIENTS * ROUNDS * 3);

            // every committed audit record becomes an AuditEvent: the log drains, nothing failed
            PipelineServer.await(
                    () -> audit(server).path("pending").asLong(-1) == 0, Duration.ofSeconds(120), "audit log drained");
            assertThat(audit(server).path("failed").asLong(-1)).isZero();
        }
    }

    private static void note(HttpResponse<String> r, String what, List<String> failures, AtomicInteger answered) {
        answered.incrementAndGet();
        if (r.statusCode() / 100 != 2) failures.add(what + " -> " + r.statusCode());
    }

    private static JsonNode audit(PipelineServer server) {
        return server.health().path("components").path("audit").path("details");
    }

    private static HttpResponse<String> send(
            PipelineServer server, String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/" + path))
                // the bound on an answer: the server's own timeouts (above) are shorter
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json");
        if (body == null) b.GET();
        else
            b.header("Content-Type", "application/fhir+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
