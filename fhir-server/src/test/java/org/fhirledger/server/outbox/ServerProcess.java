package org.fhirledger.server.outbox;

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
import org.fhirledger.server.Application;
import org.fhirledger.testing.FreePort;

/** The server in a JVM of its own (so a test can SIGTERM or SIGKILL it), with {@link PipelineServer#args}. */
public final class ServerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public final Process process;
    public final int port;
    public final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts it and waits until it is ready. */
    public static ServerProcess start(Path data, String rpcUrl, long chainId, String... extra) throws Exception {
        int port = FreePort.pick();
        Path log = data.resolve("server-" + port + ".log");
        // the child JVM gets this JVM's classpath (under surefire a manifest-only jar that names every entry)
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m"));
        // the test JVMs' own flags (pom.xml's test.jvm.flags, which surefire passes on as a system property)
        String flags = System.getProperty("test.jvm.flags", "").trim();
        if (!flags.isEmpty()) cmd.addAll(List.of(flags.split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Application.class.getName()));
        List<String> more = new ArrayList<>(List.of(extra));
        more.add("--server.port=" + port);
        cmd.addAll(PipelineServer.args(data, rpcUrl, chainId, more.toArray(String[]::new)));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ServerProcess s = new ServerProcess(p, port, log);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) throw new AssertionError("server exited during start-up; see " + log);
            try {
                if (s.get("/actuator/health/readiness").statusCode() == 200) return s;
            } catch (Exception e) {
                // not yet listening
            }
            Thread.sleep(500);
        }
        p.destroyForcibly();
        throw new AssertionError("server did not become ready; see " + log);
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public JsonNode health() throws Exception {
        return JSON.readTree(get("/actuator/health").body());
    }

    /** POSTs a FHIR resource; returns the response. */
    public HttpResponse<String> post(String token, String type, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/fhir/" + type))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/fhir+json")
                        .header("Accept", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        if (!process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
