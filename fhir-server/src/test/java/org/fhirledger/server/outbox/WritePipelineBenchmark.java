package org.fhirledger.server.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Not a test: {@code bin/bench WritePipelineBenchmark [clients] [seconds]}. N concurrent clients each create a
 * Patient, a DiagnosticReport for it, and read a random resource created earlier, for the given time; once with
 * the ledger off and once with it on (anvil, 1-second blocks, local content store, H2 file database), in the same
 * run, plus a third phase with everything on (authorisation from the chain and one AuditEvent per interaction).
 * Prints write throughput and read p50 as ratios to "off" (plain HAPI) and the write-to-chain lag (outbox
 * created_at to confirmed_at) p50/p99.
 */
public final class WritePipelineBenchmark {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(double writesPerSecond, double readP50, double readP99, double writeP50, long writes, long reads) {}

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        AnvilExtension anvil = AnvilExtension.create(31337, 1, 200_000_000);
        anvil.start();
        try {
            Path base = Files.createDirectories(Path.of("target", "bench-data").toAbsolutePath());
            Result off = run(Files.createTempDirectory(base, "off-"), clients, seconds, false, false, anvil);
            Result on = run(Files.createTempDirectory(base, "on-"), clients, seconds, true, false, anvil);
            Result all = run(Files.createTempDirectory(base, "all-"), clients, seconds, true, true, anvil);
            System.out.printf(
                    "%nclients=%d, %d s per phase (after %d s warm-up), anvil 1-second blocks%n",
                    clients, seconds, WARMUP_SECONDS);
            print("ledger off                 ", off);
            print("ledger on                  ", on);
            print("ledger + authz + audit on  ", all);
            System.out.printf(
                    "write throughput on/off = %.2f (goal >= 0.80)%n", on.writesPerSecond() / off.writesPerSecond());
            System.out.printf("read p50 on/off         = %.2f (goal <= 1.15)%n", on.readP50() / off.readP50());
            System.out.printf(
                    "with authz + audit: write throughput / off = %.2f, read p50 / off = %.2f%n",
                    all.writesPerSecond() / off.writesPerSecond(), all.readP50() / off.readP50());
        } finally {
            anvil.shutdown();
        }
        System.exit(0);
    }

    static final int WARMUP_SECONDS = 5;

    private static void print(String name, Result r) {
        System.out.printf(
                "%s: %.0f writes/s (%d writes, p50 %.1f ms), %d reads (p50 %.2f ms, p99 %.2f ms)%n",
                name, r.writesPerSecond(), r.writes(), r.writeP50(), r.reads(), r.readP50(), r.readP99());
    }

    private static Result run(Path data, int clients, int seconds, boolean ledger, boolean authz, AnvilExtension anvil)
            throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir=" + data,
                "--server.port=0",
                // off: plain HAPI; on: the write pipeline; authz: also authorisation from the chain and the audit trail
                "--ledger.enabled=" + ledger,
                "--authorization.enabled=" + authz,
                "--ledger.rpc-url=" + anvil.rpcUrl(),
                "--ledger.chain-id=" + anvil.chainId(),
                "--logging.level.root=WARN",
                "--outbox.poll-interval=100ms"));
        try (ConfigurableApplicationContext ctx =
                new SpringApplicationBuilder(Application.class).run(args.toArray(String[]::new))) {
            int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
            String token = DevTokens.mint(data, Role.CUSTODIAN, null);
            String base = "http://localhost:" + port + "/fhir/";
            List<String> created = new CopyOnWriteArrayList<>();
            load(base, token, clients, WARMUP_SECONDS, created, new ArrayList<>(), new ArrayList<>(), new AtomicLong());
            List<Double> reads = Collections.synchronizedList(new ArrayList<>());
            List<Double> writes = Collections.synchronizedList(new ArrayList<>());
            AtomicLong writeCount = new AtomicLong();
            long t0 = System.nanoTime();
            load(base, token, clients, seconds, created, reads, writes, writeCount);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (ledger) {
                OutboxStore store = ctx.getBean(OutboxStore.class);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (store.backlog().unconfirmed() > 0 && System.nanoTime() < end) Thread.sleep(200);
                List<Double> lags = store
                        .jdbc()
                        .queryForList(
                                "select confirmed_at - created_at from fl_outbox where confirmed_at is not null",
                                Long.class)
                        .stream()
                        .map(Long::doubleValue)
                        .toList();
                System.out.printf(
                        "write-to-chain lag over %d versions: p50 %.0f ms, p99 %.0f ms, max %.0f ms (goal p99 <= 3000)%n",
                        lags.size(), pct(lags, 50), pct(lags, 99), pct(lags, 100));
            }
            return new Result(
                    writeCount.get() / elapsed,
                    pct(reads, 50),
                    pct(reads, 99),
                    pct(writes, 50),
                    writeCount.get(),
                    reads.size());
        }
    }

    private static void load(
            String base,
            String token,
            int clients,
            int seconds,
            List<String> created,
            List<Double> reads,
            List<Double> writes,
            AtomicLong writeCount)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        long t = System.nanoTime();
                        String patient = post(
                                base,
                                token,
                                "Patient",
                                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Bench\","
                                        + "\"given\":[\"Pat\"]}],\"gender\":\"female\",\"birthDate\":\"1980-01-01\"}");
                        writes.add((System.nanoTime() - t) / 1e6);
                        t = System.nanoTime();
                        String report = post(
                                base,
                                token,
                                "DiagnosticReport",
                                "{\"resourceType\":\"DiagnosticReport\",\"status\":"
                                        + "\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2345-7\"}]},"
                                        + "\"subject\":{\"reference\":\"Patient/" + patient
                                        + "\"},\"conclusion\":\"Within normal limits\"}");
                        writes.add((System.nanoTime() - t) / 1e6);
                        writeCount.addAndGet(2);
                        created.add("Patient/" + patient);
                        created.add("DiagnosticReport/" + report);
                        String target = created.get(ThreadLocalRandom.current().nextInt(created.size()));
                        t = System.nanoTime();
                        HttpResponse<String> r = HTTP.send(
                                HttpRequest.newBuilder(URI.create(base + target))
                                        .header("Authorization", "Bearer " + token)
                                        .header("Accept", "application/fhir+json")
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) throw new IllegalStateException("read " + r.statusCode());
                        reads.add((System.nanoTime() - t) / 1e6);
                    } catch (Exception e) {
                        System.err.println("request failed: " + e);
                    }
                }
            });
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
    }

    private static String post(String base, String token, String type, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + type))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/fhir+json")
                        .header("Accept", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IllegalStateException(type + " " + r.statusCode());
        return JSON.readTree(r.body()).get("id").asText();
    }

    private static double pct(List<Double> values, int p) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
