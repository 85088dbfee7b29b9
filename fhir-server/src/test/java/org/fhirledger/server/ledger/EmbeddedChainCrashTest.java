package org.fhirledger.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.authz.ConsentResync;
import org.fhirledger.server.authz.RoleResync;
import org.fhirledger.server.outbox.LostEntries;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.proof.LeafIndex;
import org.fhirledger.server.proof.LedgerFollower;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.fhirledger.testing.FreePort;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The embedded private chain (anvil started with bin/run's flags, loading the server's snapshot) killed with -9 in
 * the middle of a write load and started again as bin/run would: afterwards every committed entry is on the chain,
 * exactly once, the follower followed the whole chain without alarm and health is UP. And the operator's way out of
 * a chain that lost entries below the last snapshot: the outbox records them again.
 *
 * <p>{@code -DembeddedChain.formerArrangement=true} runs the crash test against the former arrangement (anvil's own
 * {@code --state ... --state-interval 5} dump, no server snapshots), which fails it.
 *
 * <p>The two tests of what a crash took back of consents and of roles share one private chain and server (same
 * settings, their own patients and accounts; each takes its own snapshot before the changes the crash takes back):
 * the first leaves both running for the second, which stops them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedChainCrashTest {

    private static final boolean FORMER = Boolean.getBoolean("embeddedChain.formerArrangement");

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private Process anvil;
    private PipelineServer server;

    /** The private chain and server the resync tests share, with their data directory, state file and port. */
    private record Resync(Path data, Path state, int port, Process anvil, PipelineServer server) {}

    private static Resync kept;
    /** How many resync tests ran: the first keeps the chain and server for the second (once it passed). */
    private static int resyncTests;

    private Resync current;
    private boolean keepForTheNext;
    private boolean passed;

    /** The shared chain and server with no timed rounds (the tests take snapshots and run rounds themselves). */
    private Resync resyncChainAndServer(String prefix) throws Exception {
        keepForTheNext = ++resyncTests == 1;
        if (kept == null) {
            Path data = Files.createTempDirectory(
                    Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), prefix);
            Path state = chainDir(data).resolve("anvil-state.json");
            int port = FreePort.pick();
            anvil = startAnvilAsBinRunDoes(port, state);
            server = start(data, port, state, "--embedded-chain.snapshot-every=1h");
            current = new Resync(data, state, port, anvil, server);
            return current;
        }
        current = kept;
        kept = null; // this test's own now: closed after it unless it keeps them for the next
        anvil = current.anvil();
        server = current.server();
        return current;
    }

    @AfterAll
    static void stopShared() throws Exception {
        if (kept != null) {
            kept.server().close();
            kept.anvil().destroyForcibly();
            kept.anvil().waitFor(10, TimeUnit.SECONDS);
            kept = null;
        }
    }

    @AfterEach
    void stop() throws Exception {
        // set at the end of a passing first resync test (a failed one leaves the second to start its own)
        if (keepForTheNext && passed && anvil != null && anvil.isAlive()) {
            kept = new Resync(current.data(), current.state(), current.port(), anvil, server);
            return;
        }
        if (server != null) server.close();
        if (anvil != null) {
            anvil.destroyForcibly();
            anvil.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void anvilKilledDuringWritesComesBackConsistent() throws Exception {
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "embedded-");
        Path state = chainDir(data).resolve("anvil-state.json");
        int port = FreePort.pick();
        anvil = startAnvilAsBinRunDoes(port, state);
        server = start(data, port, state);
        ChainDurability durability = server.ctx.getBean(ChainDurability.class);
        JdbcTemplate jdbc = server.jdbc();

        AtomicBoolean stopLoad = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        ExecutorService load = Executors.newFixedThreadPool(3);
        for (int t = 0; t < 3; t++) {
            load.submit(() -> {
                while (!stopLoad.get()) {
                    try {
                        server.client()
                                .create()
                                .resource(new Patient()
                                        .addName(new org.hl7.fhir.r4.model.HumanName().setFamily("Embedded")))
                                .execute();
                        written.incrementAndGet();
                    } catch (RuntimeException e) {
                        sleep(100);
                    }
                }
            });
        }
        // kill once entries were confirmed above the last snapshot: exactly what a crash takes back
        PipelineServer.await(
                () -> written.get() >= 30
                        && (FORMER ? written.get() >= 80 : maxConfirmedBlock(jdbc) > durability.durableBlock() + 1),
                Duration.ofSeconds(120),
                "entries confirmed above the last snapshot");
        long headBefore = maxConfirmedBlock(jdbc);
        // the server's periodic snapshot may have run since the wait ended and covered those entries: wait again
        while (!FORMER && headBefore <= durability.durableBlock() + 1) {
            sleep(50);
            headBefore = maxConfirmedBlock(jdbc);
        }
        anvil.destroyForcibly(); // SIGKILL: no dump, no goodbye
        anvil.waitFor(10, TimeUnit.SECONDS);
        long durableAtKill = durability.durableBlock();
        anvil = startAnvilAsBinRunDoes(port, state);
        long restartedAt = blockNumber(port);
        assertThat(restartedAt)
                .as("the restarted node lost the blocks above its snapshot")
                .isLessThan(headBefore);

        int before = written.get();
        PipelineServer.await(
                () -> written.get() >= before + 30, Duration.ofSeconds(120), "writes go on after the restart");
        stopLoad.set(true);
        load.shutdown();
        assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        server.awaitBacklogEmpty(Duration.ofSeconds(120));
        Ledger ledger = server.ledger();
        List<Map<String, Object>> rows = jdbc.queryForList(
                "select kind, resource_pn, res_version, content_hash, recorded_again" + " from fl_outbox");
        for (Map<String, Object> r : rows) {
            Bytes32 hash = Bytes32.fromHex((String) r.get("content_hash"));
            if ("ACCESS".equals(r.get("kind"))) {
                assertThat(ledger.accessSeqOf(hash))
                        .as("committed access entry on chain")
                        .isPresent();
            } else {
                assertThat(ledger.contentHashOf(
                                Bytes32.fromHex((String) r.get("resource_pn")),
                                ((Number) r.get("res_version")).longValue()))
                        .as("committed version on chain")
                        .contains(hash);
            }
        }
        long recordedAgain = rows.stream()
                .filter(r -> ((Number) r.get("recorded_again")).intValue() > 0)
                .count();
        assertThat(recordedAgain)
                .as("entries the chain lost were recorded again")
                .isPositive();
        // the follower reads what the chain holds, up to the snapshot: all of it once the chain is quiet
        LedgerFollower follower = server.ctx.getBean(LedgerFollower.class);
        long onChain = rows.size();
        PipelineServer.await(() -> leaves(jdbc) == onChain, Duration.ofSeconds(60), "the follower took every entry");
        assertThat(follower.alarm()).isEmpty();
        PipelineServer.await(
                () -> "UP".equals(server.health().path("status").asText()),
                Duration.ofSeconds(30),
                "health UP: " + server.health());
        System.out.printf(
                "embedded chain crash: %d entries, %d recorded again, durable block %d at the kill, head %d,"
                        + " restarted at %d%n",
                onChain, recordedAgain, durableAtKill, headBefore, restartedAt);
    }

    @Test
    @Order(2)
    void operatorRecordsAgainWhatARewrittenChainLost() throws Exception {
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "rerecord-");
        Path state = chainDir(data).resolve("anvil-state.json");
        int port = FreePort.pick();
        anvil = startAnvilAsBinRunDoes(port, state);
        server = start(data, port, state);
        for (int i = 0; i < 5; i++)
            server.client().create().resource(new Patient().setActive(true)).execute();
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        EmbeddedChain chain = (EmbeddedChain) server.ctx.getBean(ChainDurability.class);
        chain.snapshot();
        Path older = data.resolve("older-state.json");
        Files.copy(state, older);
        for (int i = 0; i < 5; i++)
            server.client().create().resource(new Patient().setActive(false)).execute();
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        JdbcTemplate first = server.jdbc();
        long total = first.queryForObject("select count(*) from fl_outbox", Long.class);
        PipelineServer.await(() -> leaves(first) == total, Duration.ofSeconds(60), "the follower took every entry");
        long leavesBefore = leaves(first);
        server.close();
        server = null;
        anvil.destroy();
        anvil.waitFor(10, TimeUnit.SECONDS);
        // the operator brings back an older copy of the chain: entries below the server's last snapshot are gone
        Files.copy(older, state, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        anvil = startAnvilAsBinRunDoes(port, state);
        JdbcTemplate jdbc;

        server = start(data, port, state);
        jdbc = server.jdbc();
        EmbeddedChain restarted = (EmbeddedChain) server.ctx.getBean(ChainDurability.class);
        assertThat(restarted.rewritten()).as("not silently accepted").isPresent();
        assertThat(server.health().path("status").asText()).isEqualTo("DOWN");
        long lostOnChain =
                jdbc.queryForList("select kind, resource_pn, res_version, content_hash from fl_outbox").stream()
                        .filter(r -> !onChain(server.ledger(), r))
                        .count();
        assertThat(lostOnChain)
                .as("the older chain lacks the second five Patients (and their audit entries)")
                .isPositive();
        server.close();

        // the operator's recovery: one start with the setting; the chain is taken as it is, the lost entries recorded
        // again
        server = start(data, port, state, "--embedded-chain.accept-rewritten-chain=true");
        jdbc = server.jdbc();
        assertThat(((EmbeddedChain) server.ctx.getBean(ChainDurability.class)).rewritten())
                .isEmpty();
        long recordedAgain = jdbc.queryForObject("select count(*) from fl_outbox where recorded_again > 0", Long.class);
        assertThat(recordedAgain).isEqualTo(lostOnChain);
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        Ledger ledger = server.ledger();
        for (Map<String, Object> r :
                jdbc.queryForList("select kind, resource_pn, res_version, content_hash from fl_outbox")) {
            assertThat(onChain(ledger, r))
                    .as("on chain after the recovery: " + r)
                    .isTrue();
        }
        assertThat(server.ctx.getBean(LostEntries.class).reopenAllNotOnChain())
                .as("nothing left to record")
                .isZero();
        PipelineServer.await(
                () -> server.ctx.getBean(ConsentResync.class).completedRuns() > 0,
                Duration.ofSeconds(60),
                "the consents sent again after the recovery (at start-up, once the application is ready)");

        // the log keeps the lost history's leaves, records the break and takes the entries recorded again
        JdbcTemplate db = jdbc;
        PipelineServer.await(
                () -> db.queryForObject("select count(*) from fl_ledger_leaf where epoch = 1", Long.class)
                        == lostOnChain,
                Duration.ofSeconds(60),
                "the re-recorded entries in the log after the break");
        List<LeafIndex.Break> breaks = server.ctx.getBean(LeafIndex.class).breaks();
        assertThat(breaks).hasSize(1);
        assertThat(breaks.get(0).reason()).contains("taken as it is");
        assertThat(breaks.get(0).firstLeaf()).as("nothing removed from the log").isEqualTo(leavesBefore);
        assertThat(server.ctx.getBean(LedgerFollower.class).alarm()).isEmpty();
        PipelineServer.await(
                () -> "UP".equals(server.health().path("status").asText()),
                Duration.ofSeconds(30),
                "health UP after the recovery");
    }

    @Test
    @Order(3)
    void consentChangesTheChainLostAreSentAgain() throws Exception {
        Resync shared = resyncChainAndServer("consents-");
        Path data = shared.data();
        Path state = shared.state();
        int port = shared.port();
        EmbeddedChain chain = (EmbeddedChain) server.ctx.getBean(ChainDurability.class);
        String admin = DevTokens.mint(data, Role.ADMIN, null);
        for (String p : List.of("crash-x", "crash-y", "crash-z")) {
            assertThat(send(
                                    "PUT",
                                    admin,
                                    "/Practitioner/" + p,
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"" + p + "\"}")
                            .statusCode())
                    .isIn(200, 201);
        }
        DevTokens.Minted drX = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/crash-x");
        DevTokens.Minted drY = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/crash-y");
        DevTokens.Minted drZ = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/crash-z");
        String patientId = server.client()
                .create()
                .resource(new Patient().setActive(true))
                .execute()
                .getId()
                .getIdPart();
        String observationId = server.client()
                .create()
                .resource(new org.hl7.fhir.r4.model.Observation()
                        .setStatus(org.hl7.fhir.r4.model.Observation.ObservationStatus.FINAL)
                        .setCode(new org.hl7.fhir.r4.model.CodeableConcept().setText("x"))
                        .setSubject(new org.hl7.fhir.r4.model.Reference("Patient/" + patientId)))
                .execute()
                .getId()
                .getIdPart();
        String patient = DevTokens.mint(data, Role.PATIENT, "Patient/" + patientId);
        Bytes32 pn = server.ctx.getBean(Pseudonyms.class).of("Patient", patientId);
        Ledger ledger = server.ledger();
        String forX = created(send("POST", patient, "/Consent", consent(patientId, "Practitioner/crash-x", "active")));
        String forY = created(send("POST", patient, "/Consent", consent(patientId, "Practitioner/crash-y", "active")));
        assertThat(ledger.consentOf(pn, drX.ledgerAddress()).actions()).isNotZero();
        assertThat(ledger.consentOf(pn, drY.ledgerAddress()).actions()).isNotZero();
        chain.snapshot(); // the last snapshot: both grants in it

        // after it: X's Consent set inactive, Y's deleted, Z granted — all mined, then the node crashes
        assertThat(send(
                                "PUT",
                                patient,
                                "/Consent/" + forX,
                                consent(patientId, "Practitioner/crash-x", "inactive")
                                        .replace(
                                                "{\"resourceType\":\"Consent\",",
                                                "{\"resourceType\":\"Consent\",\"id\":\"" + forX + "\","))
                        .statusCode())
                .isEqualTo(200);
        assertThat(send("DELETE", patient, "/Consent/" + forY, null).statusCode())
                .isIn(200, 204);
        created(send("POST", patient, "/Consent", consent(patientId, "Practitioner/crash-z", "active")));
        assertThat(ledger.consentOf(pn, drX.ledgerAddress()).actions()).isZero();
        assertThat(ledger.consentOf(pn, drY.ledgerAddress()).actions()).isZero();
        assertThat(ledger.consentOf(pn, drZ.ledgerAddress()).actions()).isNotZero();
        anvil.destroyForcibly();
        anvil.waitFor(10, TimeUnit.SECONDS);
        anvil = startAnvilAsBinRunDoes(port, state);
        // the adapter fails fast for a moment after the node was down
        PipelineServer.await(
                () -> actions(ledger, pn, drX) > 0, Duration.ofSeconds(30), "the crash took the revoke back");

        chain.round(); // what the timer does: notices the lost blocks
        PipelineServer.await(
                () -> actions(ledger, pn, drX) == 0 && actions(ledger, pn, drY) == 0 && actions(ledger, pn, drZ) > 0,
                Duration.ofSeconds(60),
                "the database's consents back on chain");
        // refused (not there looks like not yours), while the grant the chain had lost reads it again
        assertThat(send("GET", drX.token(), "/Observation/" + observationId, null)
                        .statusCode())
                .isIn(403, 404);
        assertThat(send("GET", drY.token(), "/Observation/" + observationId, null)
                        .statusCode())
                .isIn(403, 404);
        assertThat(send("GET", drZ.token(), "/Observation/" + observationId, null)
                        .statusCode())
                .isEqualTo(200);
        passed = true;
    }

    @Test
    @Order(4)
    void roleChangesTheChainLostAreSentAgain() throws Exception {
        Resync shared = resyncChainAndServer("roles-");
        Path data = shared.data();
        Path state = shared.state();
        int port = shared.port();
        EmbeddedChain chain = (EmbeddedChain) server.ctx.getBean(ChainDurability.class);
        Ledger ledger = server.ledger();
        String admin = DevTokens.mint(data, Role.ADMIN, null);
        assertThat(send("PUT", admin, "/Practitioner/role-x", "{\"resourceType\":\"Practitioner\",\"id\":\"role-x\"}")
                        .statusCode())
                .isIn(200, 201);
        // X, Y and Z hold CLINICIAN (as bin/dev-token assigns it); the admin takes Y's away: all in the last snapshot
        DevTokens.Minted drX = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/role-x");
        DevTokens.Minted drY = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/role-y");
        DevTokens.Minted drZ = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/role-z");
        roleChange(admin, "$revoke-role", drY, null);
        chain.snapshot();

        // after it, all mined: X's role revoked, Y's assigned again, Z's revoked, assigned and revoked again
        roleChange(admin, "$revoke-role", drX, null);
        roleChange(admin, "$assign-role", drY, "Practitioner/role-y");
        roleChange(admin, "$revoke-role", drZ, null);
        roleChange(admin, "$assign-role", drZ, "Practitioner/role-z");
        roleChange(admin, "$revoke-role", drZ, null);
        assertThat(send("GET", drX.token(), "/Practitioner/role-x", null).statusCode())
                .isEqualTo(403);
        assertThat(send("GET", drY.token(), "/Practitioner/role-x", null).statusCode())
                .isEqualTo(200);
        anvil.destroyForcibly();
        anvil.waitFor(10, TimeUnit.SECONDS);
        anvil = startAnvilAsBinRunDoes(port, state);
        PipelineServer.await(
                () -> holds(ledger, drX) == 1 && holds(ledger, drY) == 0 && holds(ledger, drZ) == 1,
                Duration.ofSeconds(30),
                "the crash took the role changes back");

        chain.round(); // what the timer does: notices the lost blocks
        PipelineServer.await(
                () -> holds(ledger, drX) == 0 && holds(ledger, drY) == 1 && holds(ledger, drZ) == 0,
                Duration.ofSeconds(60),
                "the database's role changes back on chain, the last word per account and role");
        assertThat(ledger.identityOf(drY.ledgerAddress()))
                .as("bound to its fhirUser again")
                .contains(server.ctx.getBean(Pseudonyms.class).of("Practitioner/role-y"));
        assertThat(send("GET", drX.token(), "/Practitioner/role-x", null).statusCode())
                .isEqualTo(403);
        assertThat(send("GET", drZ.token(), "/Practitioner/role-x", null).statusCode())
                .isEqualTo(403);
        assertThat(send("GET", drY.token(), "/Practitioner/role-x", null).statusCode())
                .isEqualTo(200);

        // told again (another start-up, another lost block): nothing differs, nothing is sent, nothing changes
        RoleResync resync = server.ctx.getBean(RoleResync.class);
        int runs = resync.completedRuns();
        resync.blocksLostAbove(chain.durableBlock());
        PipelineServer.await(() -> resync.completedRuns() > runs, Duration.ofSeconds(60), "a second resync");
        assertThat(resync.lastSent()).isZero();
        assertThat(holds(ledger, drX) == 0 && holds(ledger, drY) == 1 && holds(ledger, drZ) == 0)
                .isTrue();
        passed = true;
    }

    private void roleChange(String admin, String operation, DevTokens.Minted who, String fhirUser) throws Exception {
        String body = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\""
                + who.ledgerAddress() + "\"},{\"name\":\"role\",\"valueString\":\"CLINICIAN\"}"
                + (fhirUser == null ? "" : ",{\"name\":\"fhirUser\",\"valueString\":\"" + fhirUser + "\"}") + "]}";
        HttpResponse<String> r = send("POST", admin, "/" + operation, body);
        assertThat(r.statusCode()).as(operation + ": " + r.body()).isEqualTo(200);
    }

    /** 1 when the account holds CLINICIAN on chain, 0 when not, -1 while the node cannot be reached. */
    private static int holds(Ledger ledger, DevTokens.Minted who) {
        try {
            return ledger.hasRole(who.ledgerAddress(), org.fhirledger.ledger.Role.CLINICIAN) ? 1 : 0;
        } catch (org.fhirledger.ledger.LedgerException e) {
            return -1;
        }
    }

    /** What ConsentRegistry grants, or -1 while the node cannot be reached. */
    private static int actions(Ledger ledger, Bytes32 patient, DevTokens.Minted dr) {
        try {
            return ledger.consentOf(patient, dr.ledgerAddress()).actions();
        } catch (org.fhirledger.ledger.LedgerException e) {
            return -1;
        }
    }

    private HttpResponse<String> send(String method, String token, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json")
                .header("Content-Type", "application/fhir+json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return r.body().replaceAll("(?s).*?\"id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    }

    private static String consent(String patient, String actor, String status) {
        return "{\"resourceType\":\"Consent\",\"status\":\"" + status + "\",\"scope\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/consentscope\",\"code\":\"patient-privacy\"}]},"
                + "\"category\":[{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"59284-0\"}]}],"
                + "\"patient\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"provision\":{\"type\":\"permit\",\"actor\":[{\"reference\":{\"reference\":\"" + actor + "\"}}],"
                + "\"action\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/consentaction\","
                + "\"code\":\"access\"}]}]}}";
    }

    private static boolean onChain(Ledger ledger, Map<String, Object> r) {
        Bytes32 hash = Bytes32.fromHex((String) r.get("content_hash"));
        if ("ACCESS".equals(r.get("kind"))) return ledger.accessSeqOf(hash).isPresent();
        return ledger.contentHashOf(
                        Bytes32.fromHex((String) r.get("resource_pn")), ((Number) r.get("res_version")).longValue())
                .filter(hash::equals)
                .isPresent();
    }

    private PipelineServer start(Path data, int port, Path state, String... extra) {
        List<String> args = new ArrayList<>(List.of(extra));
        if (!FORMER) {
            args.add("--embedded-chain.state-file=" + state);
            if (args.stream().noneMatch(a -> a.startsWith("--embedded-chain.snapshot-every="))) {
                args.add("--embedded-chain.snapshot-every=1500ms");
            }
        }
        args.addAll(List.of(
                "--ledger.max-wait=20ms",
                "--anchor.enabled=true",
                "--anchor.rpc-url=" + publicChain.rpcUrl(),
                "--anchor.chain-id=31338",
                "--anchor.gas-price=0",
                "--anchor.every=1s",
                "--anchor.follow-interval=200ms"));
        return PipelineServer.start(data, "http://127.0.0.1:" + port, 31337, args.toArray(String[]::new));
    }

    /** bin/run's flags for the private chain. */
    static Process startAnvilAsBinRunDoes(int port, Path state) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                AnvilExtension.binaryPath().toString(),
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--chain-id",
                "31337",
                "--block-time",
                "1",
                "--gas-price",
                "0",
                "--base-fee",
                "0"));
        if (FORMER) {
            cmd.addAll(List.of("--state", state.toString(), "--state-interval", "5"));
        } else {
            cmd.addAll(List.of("--prune-history", "4"));
            if (Files.exists(state)) cmd.addAll(List.of("--load-state", state.toString()));
        }
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        state.resolveSibling("anvil.log").toFile()))
                .start();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            if (!p.isAlive())
                throw new IllegalStateException("anvil stopped at start-up, see " + state.resolveSibling("anvil.log"));
            try {
                blockNumber(port);
                return p;
            } catch (IOException e) {
                sleep(100);
            }
        }
        throw new IllegalStateException("anvil did not answer");
    }

    static long blockNumber(int port) throws IOException {
        try {
            String body = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port))
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return Long.decode(body.replaceAll(".*\"result\":\"(0x[0-9a-fA-F]+)\".*", "$1"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Owner-only, as bin/run makes it: it holds the server's dev signing key. */
    private static Path chainDir(Path data) throws IOException {
        return Files.createDirectories(
                data.resolve("chain"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    }

    private static long maxConfirmedBlock(JdbcTemplate jdbc) {
        Long max = jdbc.queryForObject("select max(block_number) from fl_outbox where state = 'CONFIRMED'", Long.class);
        return max == null ? -1 : max;
    }

    private static long leaves(JdbcTemplate jdbc) {
        return jdbc.queryForObject("select count(*) from fl_ledger_leaf", Long.class);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
