package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.web3j.crypto.Credentials;

/**
 * kill -9 of the server (a separate JVM) in the middle of a write load, rounds on the same data directory and
 * database. Afterwards every acknowledged write (201/200) is in the
 * database and verified against the chain, those acknowledged in the last second before a kill included (a
 * database that defers its commit to disk loses exactly these), and every committed version has exactly one ledger
 * entry, with the content hash taken at write. The database is the truth about what was committed (a request in
 * flight when the process died may have committed without its client hearing so). {@link CrashRecoveryTest} runs it
 * on PostgreSQL, {@link CrashRecoveryOnH2Test} on H2: two classes, so that the two (minutes each) can run in the
 * two test JVMs side by side.
 */
final class CrashRounds {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int WRITERS = 8;
    private static final int ACKS_PER_ROUND = 60;

    private final AnvilExtension anvil;

    /** Rounds against this chain (the test class's own anvil). */
    CrashRounds(AnvilExtension anvil) {
        this.anvil = anvil;
    }

    /** An acknowledged version and when its answer arrived. */
    record Ack(String type, String id, long version, long atNanos) {}

    static Path dataDir(String prefix) throws Exception {
        return Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), prefix);
    }

    /**
     * {@code rounds} kill -9 rounds on {@code data} and the database at {@code jdbcUrl}, then a restart and the checks
     * above.
     */
    void run(int rounds, Path data, String jdbcUrl, String user) throws Exception {
        List<Ack> acks = new CopyOnWriteArrayList<>();
        List<Long> kills = new ArrayList<>();
        String token = null;
        for (int round = 0; round < rounds; round++) {
            ServerProcess server = start(data, jdbcUrl, user);
            int port = server.port;
            if (token == null) token = DevTokens.mint(data, Role.CUSTODIAN, null);
            String t = token;
            int before = acks.size();
            AtomicBoolean stop = new AtomicBoolean();
            // the writer whose answer completes the round kills the server at once: the writes just acknowledged are
            // the ones a deferred commit loses
            AtomicBoolean killed = new AtomicBoolean();
            AtomicLong killedAt = new AtomicLong();
            Runnable onAck = () -> {
                if (acks.size() - before >= ACKS_PER_ROUND && killed.compareAndSet(false, true)) {
                    server.process.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful close of the database or
                    // ledger
                    killedAt.set(System.nanoTime());
                }
            };
            ExecutorService load = Executors.newFixedThreadPool(WRITERS);
            for (int w = 0; w < WRITERS; w++) load.submit(() -> writeLoad(port, t, stop, acks, onAck));
            PipelineServer.await(killed::get, Duration.ofSeconds(300), "load under way");
            server.process.waitFor(30, TimeUnit.SECONDS);
            kills.add(killedAt.get());
            stop.set(true);
            load.shutdown();
            load.awaitTermination(60, TimeUnit.SECONDS);
        }
        List<Ack> lastSecond = new ArrayList<>();
        for (Ack a : acks) {
            for (long kill : kills) {
                if (a.atNanos() <= kill && kill - a.atNanos() <= TimeUnit.SECONDS.toNanos(1)) lastSecond.add(a);
            }
        }
        assertThat(lastSecond)
                .as("writes acknowledged in the last second before a kill")
                .isNotEmpty();

        try (ServerProcess last = start(data, jdbcUrl, user)) {
            int port = last.port;
            // an AuditEvent search first materialises every audit record committed before it, those of the killed
            // rounds included (a backlog longer to materialise than audit.read-wait-max or the client's timeout: asked
            // again)
            String t = token;
            PipelineServer.await(
                    () -> auditSearch(port, t) == 200, Duration.ofSeconds(180), "audit records materialised");
            PipelineServer.await(() -> backlog(port) == 0, Duration.ofSeconds(180), "backlog drained after restart");
            List<String> lost = new ArrayList<>();
            for (Ack a : acks) {
                HttpResponse<String> r = HTTP.send(
                        request(port, token, a.type() + "/" + a.id() + "/_history/" + a.version())
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    lost.add(a + " -> " + r.statusCode() + (lastSecond.contains(a) ? " (last second)" : ""));
                } else if (r.body().contains(CanonicalResource.LEDGER_TAG_SYSTEM)) {
                    lost.add(a + " not verified against the chain: "
                            + JSON.readTree(r.body()).at("/meta/tag"));
                }
            }
            assertThat(lost)
                    .as(
                            "acknowledged writes lost (of %d, %d in the last second before a kill)",
                            acks.size(), lastSecond.size())
                    .isEmpty();
            // the reads above are accesses too: their records become AuditEvents, and those outbox rows, before the
            // stop (a graceful stop does not wait for a backlog; the next start would take it)
            PipelineServer.await(
                    () -> drained(port) && drained(port), Duration.ofSeconds(180), "audit log and outbox drained");
        } // closed gracefully: the database is closed, so the test can open it

        // one connection for the whole check: a new one per query opens an H2 file database anew each time
        SingleConnectionDataSource db = new SingleConnectionDataSource(jdbcUrl, user, "", true);
        List<Map<String, Object>> versions;
        try {
            JdbcTemplate jdbc = new JdbcTemplate(db);
            assertAuditRecordsMaterialisedOnce(jdbc);
            versions = jdbc.queryForList("select r.res_type, r.fhir_id, v.res_ver"
                    + " from hfj_res_ver v join hfj_resource r on r.res_id = v.res_id");
            Pseudonymizer pseudonyms = Pseudonymizer.fromDataDir(data);
            try (Web3jLedger ledger = readerOf(data)) {
                long records = 0;
                for (Map<String, Object> v : versions) {
                    long version = ((Number) v.get("res_ver")).longValue();
                    String writeHash = jdbc.queryForObject(
                            "select content_hash from fl_outbox where res_type = ?"
                                    + " and res_id = ? and res_version = ?",
                            String.class,
                            v.get("res_type"),
                            v.get("fhir_id"),
                            version);
                    if ("AuditEvent".equals(v.get("res_type"))) {
                        // the audit trail's events go to the access ledger, by their hash
                        assertThat(ledger.accessSeqOf(Bytes32.fromHex(writeHash)))
                                .as("AuditEvent on the access ledger: " + v)
                                .isPresent();
                        continue;
                    }
                    records++;
                    Bytes32 resource = Bytes32.of(pseudonyms.pseudonym(v.get("res_type") + "/" + v.get("fhir_id")));
                    RecordInfo info = ledger.findRecord(resource, version)
                            .orElseThrow(() -> new AssertionError("committed version without ledger entry: " + v));
                    assertThat(info.entry().contentHash().toHex()).isEqualTo(writeHash);
                }
                assertThat(ledger.recordCount())
                        .as("no entry twice, none for an uncommitted version")
                        .isEqualTo(records);
            }
        } finally {
            db.destroy();
        }
        System.out.printf(
                "crash test (%s): %d rounds, %d committed versions, %d acknowledged writes, %d in the last"
                        + " second before a kill%n",
                user, rounds, versions.size(), acks.size(), lastSecond.size());
    }

    /**
     * Every committed audit record (kills mid-batch included) has exactly one AuditEvent, of one version, under the id
     * derived from it; every AuditEvent comes from a record.
     */
    private static void assertAuditRecordsMaterialisedOnce(JdbcTemplate jdbc) {
        List<Long> records = jdbc.queryForList("select id from fl_audit_record order by id", Long.class);
        assertThat(records).isNotEmpty();
        assertThat(jdbc.queryForObject("select count(*) from fl_audit_record where done = false", Long.class))
                .as("audit records left unmaterialised")
                .isZero();
        Map<String, Long> versions = new java.util.HashMap<>();
        for (Map<String, Object> r : jdbc.queryForList("select r.fhir_id, count(*) n from hfj_resource r"
                + " join hfj_res_ver v on v.res_id = r.res_id where r.res_type = 'AuditEvent' group by r.fhir_id")) {
            versions.put((String) r.get("fhir_id"), ((Number) r.get("n")).longValue());
        }
        assertThat(versions.values()).as("versions per AuditEvent").allMatch(n -> n == 1);
        assertThat(versions.keySet())
                .as("one AuditEvent per audit record, none else")
                .containsExactlyInAnyOrderElementsOf(records.stream()
                        .map(org.fhirledger.server.audit.AuditRecord::eventIdOf)
                        .toList());
    }

    private static int auditSearch(int port, String token) {
        try {
            return HTTP.send(
                            request(port, token, "AuditEvent?_count=1").GET().build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** No audit record waits to be materialised and no outbox row to be confirmed (read one after the other). */
    private static boolean drained(int port) {
        JsonNode components = health(port).path("components");
        return components.at("/audit/details/pending").asLong(-1) == 0
                && components.at("/outbox/details/backlog").asLong(-1) == 0;
    }

    private static long backlog(int port) {
        JsonNode backlog = health(port).at("/components/outbox/details/backlog");
        return backlog.isMissingNode() ? -1 : backlog.asLong();
    }

    /** The server's health document; a missing node while it cannot answer (restarting, killed). */
    private static JsonNode health(int port) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (Exception e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }

    private Web3jLedger readerOf(Path data) throws Exception {
        return readerOf(data, anvil);
    }

    /** A ledger client with the server's own key and the contracts it deployed, read from its data directory. */
    static Web3jLedger readerOf(Path data, AnvilExtension anvil) throws Exception {
        JsonNode c = JSON.readTree(data.resolve("chain/contracts.json").toFile());
        ContractAddresses contracts = new ContractAddresses(
                c.get("accessRegistry").asText(),
                c.get("consentRegistry").asText(),
                c.get("recordLedger").asText(),
                c.get("accessLedger").asText(),
                c.get("fromBlock").asLong());
        Credentials server = Credentials.create(
                Files.readString(data.resolve("chain/server-key.hex")).trim());
        return Web3jLedger.connect(LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts), server);
    }

    private static void writeLoad(int port, String token, AtomicBoolean stop, List<Ack> acks, Runnable onAck) {
        while (!stop.get()) {
            if (!writeOne(port, token, acks, onAck)) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** A Patient, a DiagnosticReport for it and an update of the Patient; each acknowledged version is noted. */
    private static boolean writeOne(int port, String token, List<Ack> acks, Runnable onAck) {
        try {
            String patient = send(
                    port,
                    token,
                    "Patient",
                    "POST",
                    201,
                    "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Crash\"}]}",
                    acks,
                    onAck);
            if (patient == null) return false;
            send(
                    port,
                    token,
                    "DiagnosticReport",
                    "POST",
                    201,
                    "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\","
                            + "\"code\":{\"text\":\"glucose\"},\"subject\":{\"reference\":\"Patient/" + patient
                            + "\"}}",
                    acks,
                    onAck);
            send(
                    port,
                    token,
                    "Patient/" + patient,
                    "PUT",
                    200,
                    "{\"resourceType\":\"Patient\",\"id\":\"" + patient + "\",\"name\":[{\"family\":\"Crash2\"}]}",
                    acks,
                    onAck);
            // a read: its audit record is group-committed with other requests' (a change's is in its transaction)
            HTTP.send(request(port, token, "Patient/" + patient).GET().build(), HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String send(
            int port,
            String token,
            String path,
            String method,
            int expected,
            String body,
            List<Ack> acks,
            Runnable onAck)
            throws Exception {
        HttpResponse<String> r = HTTP.send(
                request(port, token, path)
                        .method(method, HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) return null;
        long at = System.nanoTime();
        JsonNode stored = JSON.readTree(r.body());
        acks.add(new Ack(
                stored.get("resourceType").asText(),
                stored.get("id").asText(),
                stored.at("/meta/versionId").asLong(),
                at));
        onAck.run();
        return stored.get("id").asText();
    }

    private static HttpRequest.Builder request(int port, String token, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/fhir/" + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/fhir+json")
                .header("Accept", "application/fhir+json");
    }

    private ServerProcess start(Path data, String jdbcUrl, String user) throws Exception {
        return ServerProcess.start(
                data,
                anvil.rpcUrl(),
                anvil.chainId(),
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=" + user,
                "--spring.datasource.password=");
    }
}
