package org.fhirledger.server.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.fhirledger.testing.FreePort;

/**
 * One server of the benchmark in a JVM of its own (so its CPU time, heap and JFR recording are its own), in one of
 * the three modes, on a fresh data directory and database.
 */
final class BenchServer implements AutoCloseable {

    enum Mode {
        OFF("off", "plain HAPI: no ledger, no authorisation, no audit"),
        LEDGER("ledger", "write pipeline to the chain only"),
        ALL("all", "authorisation from the chain, audit, write pipeline, anchoring");

        final String label;
        final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Mode mode;
    final Path data;
    final Process process;
    final int port;
    final BenchDatabase.Handle db;
    private String token;

    private BenchServer(Mode mode, Path data, Process process, int port, BenchDatabase.Handle db) {
        this.mode = mode;
        this.data = data;
        this.process = process;
        this.port = port;
        this.db = db;
    }

    /** Launches the JVM; {@link #awaitReady()} waits for it (so several can start side by side). */
    static BenchServer launch(
            Mode mode,
            Path data,
            BenchDatabase.Handle db,
            AnvilExtension privateChain,
            AnvilExtension publicChain,
            List<String> jvmOptions)
            throws Exception {
        int port = FreePort.pick();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Application.class.getName()));
        cmd.addAll(List.of(
                "--data-dir=" + data,
                "--server.port=" + port,
                "--logging.level.root=WARN",
                "--management.endpoint.health.show-details=always",
                "--ledger.enabled=" + (mode != Mode.OFF),
                "--authorization.enabled=" + (mode == Mode.ALL),
                "--anchor.enabled=" + (mode == Mode.ALL)));
        cmd.addAll(db.serverArgs());
        if (mode != Mode.OFF) {
            cmd.addAll(List.of(
                    "--ledger.rpc-url=" + privateChain.rpcUrl(),
                    "--ledger.chain-id=" + privateChain.chainId(),
                    "--outbox.poll-interval=100ms"));
        }
        if (mode == Mode.ALL) {
            // as bin/run: the public-chain stand-in, gas price 0, an anchor at least every 10 s
            cmd.addAll(List.of(
                    "--anchor.rpc-url=" + publicChain.rpcUrl(),
                    "--anchor.chain-id=" + publicChain.chainId(),
                    "--anchor.gas-price=0",
                    "--anchor.every=10s"));
        }
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(data.resolve("server.log").toFile())
                .start();
        return new BenchServer(mode, data, p, port, db);
    }

    void awaitReady() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(900);
        while (System.nanoTime() < end) {
            if (!process.isAlive())
                throw new IllegalStateException(
                        mode.label + " server exited during start-up; see " + data.resolve("server.log"));
            try {
                if (get("/actuator/health/readiness").statusCode() == 200) return;
            } catch (Exception e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(mode.label + " server not ready; see " + data.resolve("server.log"));
    }

    String base() {
        return "http://localhost:" + port + "/fhir/";
    }

    /** A CUSTODIAN dev token from the server's own dev issuer (its role assigned on chain, as bin/dev-token does). */
    String token() {
        if (token == null) token = DevTokens.mint(data, Role.CUSTODIAN, null);
        return token;
    }

    /** CPU time (user + system) the server's JVM has used so far, in seconds. */
    double cpuSeconds() {
        return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /** Versions written and not yet confirmed on chain (0 without the ledger). */
    /**
     * What is still to do in the background: the outbox's versions not yet confirmed on chain, plus the audit records
     * not yet materialised as AuditEvents (each of which then adds an outbox row of its own).
     */
    long backlog() throws Exception {
        JsonNode h = JSON.readTree(get("/actuator/health").body());
        JsonNode b = h.path("components").path("outbox").path("details").path("backlog");
        JsonNode a = h.path("components").path("audit").path("details").path("pending");
        return (b.isMissingNode() ? 0 : b.asLong()) + (a.isMissingNode() ? 0 : a.asLong());
    }

    /**
     * Waits until every audit record is an AuditEvent and everything written is confirmed on chain, so a phase pays
     * for all of its own background work, and no other phase (of this server or of the others running beside it)
     * pays any of it.
     */
    void awaitDrained() throws Exception {
        if (mode == Mode.OFF) return;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (backlog() > 0) {
            if (System.nanoTime() > end) throw new IllegalStateException(mode.label + ": outbox did not drain");
            Thread.sleep(200);
        }
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        if (!process.isAlive()) return;
        process.destroy(); // SIGTERM: Spring shuts down; a JFR recording is written on exit
        if (!process.waitFor(120, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
