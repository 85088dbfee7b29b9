package org.fhirledger.server.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.server.benchmark.BenchServer.Mode;
import org.fhirledger.testing.AnvilExtension;

/**
 * A short read-heavy profile of the everything-on server alone (H2): {@code seconds} of the mixed workload to have
 * data, then {@code read-seconds} of reads only (random resources among those created, {@code clients} clients, one
 * bearer token each as a client would), recorded with JFR; prints the reads' rate and p50 and the hot-frame tables
 * of the read window. {@code bin/bench ReadProfileBenchmark [clients=4] [seconds=15] [read-seconds=30]}. The
 * bearer token is the benchmark's CUSTODIAN token, as in {@link ServerBenchmark}.
 */
public final class ReadProfileBenchmark {

    private ReadProfileBenchmark() {}

    /** BENCH_SERVER_OPTS adds flags, e.g. {@code -Dsecurity.token-cache.max-size=0} to compare without a cache. */
    private static List<String> jvm(Path recording) {
        List<String> jvm = new ArrayList<>(List.of(
                "-Xms1g",
                "-Xmx2g",
                "-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + recording,
                "-XX:FlightRecorderOptions=stackdepth=256"));
        String extra = System.getenv().getOrDefault("BENCH_SERVER_OPTS", "");
        if (!extra.isBlank()) jvm.addAll(List.of(extra.trim().split("\\s+")));
        System.out.println("server JVM flags: " + jvm);
        return jvm;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String a : argv) {
            int eq = a.indexOf('=');
            args.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? "true" : a.substring(eq + 1));
        }
        int clients = Integer.parseInt(args.getOrDefault("clients", "4"));
        int seconds = Integer.parseInt(args.getOrDefault("seconds", "15"));
        int readSeconds = Integer.parseInt(args.getOrDefault("read-seconds", "30"));
        AnvilExtension privateChain = AnvilExtension.create(31337, 1, 200_000_000);
        AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);
        Path base = Files.createDirectories(Path.of("target", "bench-data").toAbsolutePath());
        Path data = Files.createTempDirectory(base, "read-profile-");
        Path recording = data.resolve("all.jfr");
        BenchDatabase database = BenchDatabase.h2();
        try (database) {
            privateChain.start();
            publicChain.start();
            BenchServer server = BenchServer.launch(
                    Mode.ALL, data, database.create(Mode.ALL.label, data), privateChain, publicChain, jvm(recording));
            Instant from;
            Workload.Reads reads;
            String loadBefore;
            try {
                server.awaitReady();
                Workload w = new Workload(server.base(), server.token());
                w.mixed(clients, seconds);
                server.awaitDrained();
                loadBefore = ServerBenchmark.loadAverage();
                from = Instant.now();
                reads = w.reads(clients, readSeconds);
            } finally {
                server.close(); // writes the recording
            }
            Instant to = Instant.now();
            System.out.printf(
                    "%nreads: %d in %.1f s (%.0f/s), p50 %.1f ms, p95 %.1f ms, failures %d; load average at start %s,"
                            + " at end %s%n",
                    reads.count(),
                    reads.seconds(),
                    reads.count() / reads.seconds(),
                    reads.p50(),
                    reads.p95(),
                    reads.failures(),
                    loadBefore,
                    ServerBenchmark.loadAverage());
            HotFrames.print(recording, List.of(new HotFrames.Window(from, to)), 15);
        } finally {
            privateChain.stop();
            publicChain.stop();
        }
    }
}
