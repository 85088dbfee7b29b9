package org.fhirledger.server.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.DoubleSummaryStatistics;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fhirledger.server.benchmark.BenchServer.Mode;
import org.fhirledger.testing.AnvilExtension;

/**
 * Not a test: {@code bin/bench ServerBenchmark [db=h2|pg|both] [clients=8] [seconds=20] [bulk-seconds=20]
 * [bulk-clients=2] [rounds=3] [warm-up=240] [jfr]}. Starts three servers side by side on fresh data directories and databases —
 * plain HAPI (everything off), the write pipeline only, and everything on (the product) — then runs the same
 * workload against each in turn, rotating the order every round so that neither JIT warm-up nor the machine's load
 * drift favours a phase, and prints per-phase medians and the ratios all/off and ledger/off. {@code jfr} records the
 * everything-on server with JFR and prints its hottest frames inside its measured phases. Extra server JVM flags:
 * the environment variable {@code BENCH_SERVER_OPTS}.
 */
public final class ServerBenchmark {

    record Phase(
            Mode mode,
            int round,
            Workload.Mixed mixed,
            Workload.Bulk bulk,
            double cpuMsPerRequest,
            long mixedFrom,
            long mixedTo,
            String load) {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String a : argv) {
            int eq = a.indexOf('=');
            args.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? "true" : a.substring(eq + 1));
        }
        String db = args.getOrDefault("db", "h2");
        Settings s = new Settings(
                Integer.parseInt(args.getOrDefault("clients", "8")),
                Integer.parseInt(args.getOrDefault("seconds", "20")),
                Integer.parseInt(args.getOrDefault("bulk-seconds", "20")),
                Integer.parseInt(args.getOrDefault("bulk-clients", "2")),
                Integer.parseInt(args.getOrDefault("rounds", "3")),
                Integer.parseInt(args.getOrDefault("warm-up", "240")),
                args.containsKey("jfr"));
        System.out.printf(
                "%s%nmachine: %d cores, load average %s%n",
                s, Runtime.getRuntime().availableProcessors(), loadAverage());
        if (db.equals("h2") || db.equals("both")) run(BenchDatabase.h2(), s);
        if (db.equals("pg") || db.equals("both")) run(BenchDatabase.postgres(), s);
        System.exit(0);
    }

    record Settings(
            int clients, int seconds, int bulkSeconds, int bulkClients, int rounds, int warmUpSeconds, boolean jfr) {}

    private static void run(BenchDatabase database, Settings s) throws Exception {
        // one private chain per ledger server (each signs with the same dev account), one public chain for anchors
        AnvilExtension chainLedger = AnvilExtension.create(31337, 1, 200_000_000);
        AnvilExtension chainAll = AnvilExtension.create(31337, 1, 200_000_000);
        AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);
        Map<Mode, BenchServer> servers = new EnumMap<>(Mode.class);
        Path base = Files.createDirectories(Path.of("target", "bench-data").toAbsolutePath());
        Path recording = null;
        try (database) {
            chainLedger.start();
            chainAll.start();
            publicChain.start();
            String extra = System.getenv().getOrDefault("BENCH_SERVER_OPTS", "");
            for (Mode mode : Mode.values()) {
                Path data = Files.createTempDirectory(base, database.name.toLowerCase() + "-" + mode.label + "-");
                List<String> jvm = new ArrayList<>(List.of("-Xms1g", "-Xmx2g"));
                if (!extra.isBlank()) jvm.addAll(List.of(extra.trim().split("\\s+")));
                if (mode == Mode.ALL && s.jfr()) {
                    recording = data.resolve("all.jfr");
                    jvm.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + recording);
                    jvm.add("-XX:FlightRecorderOptions=stackdepth=256");
                }
                servers.put(
                        mode,
                        BenchServer.launch(
                                mode,
                                data,
                                database.create(mode.label, data),
                                mode == Mode.ALL ? chainAll : chainLedger,
                                publicChain,
                                jvm));
            }
            Map<Mode, Workload> loads = new EnumMap<>(Mode.class);
            for (BenchServer server : servers.values()) {
                server.awaitReady();
                Workload w = new Workload(server.base(), server.token());
                w.loadSharedBundles();
                loads.put(server.mode, w);
            }
            System.out.printf("%n== %s: servers ready, warming up (load average %s)%n", database.name, loadAverage());
            for (Mode mode : Mode.values()) {
                warmUp(mode, loads.get(mode), servers.get(mode), s);
                servers.get(mode).db.analyze();
            }
            List<Phase> phases = new ArrayList<>();
            List<HotFrames.Window> allWindows = new ArrayList<>();
            Mode[] order = {Mode.OFF, Mode.ALL, Mode.LEDGER};
            for (int round = 1; round <= s.rounds(); round++) {
                for (int i = 0; i < order.length; i++) {
                    Mode mode = order[(i + round - 1) % order.length]; // each phase in each position once per 3 rounds
                    BenchServer server = servers.get(mode);
                    Workload w = loads.get(mode);
                    String load = loadAverage();
                    double cpu0 = server.cpuSeconds();
                    Instant from = Instant.now();
                    long mixedFrom = System.currentTimeMillis();
                    Workload.Mixed mixed = w.mixed(s.clients(), s.seconds());
                    long mixedTo = System.currentTimeMillis();
                    server.awaitDrained(); // the phase pays for its own chain work, and only for it
                    double cpu = server.cpuSeconds() - cpu0;
                    Workload.Bulk bulk = w.bulk(s.bulkClients(), s.bulkSeconds());
                    server.awaitDrained();
                    if (mode == Mode.ALL) allWindows.add(new HotFrames.Window(from, Instant.now()));
                    Phase p = new Phase(
                            mode, round, mixed, bulk, 1000 * cpu / mixed.requests(), mixedFrom, mixedTo, load);
                    phases.add(p);
                    printPhase(p);
                }
            }
            for (BenchServer server : servers.values()) server.close();
            Map<Mode, List<Double>> lags = new EnumMap<>(Mode.class);
            List<Double> accessLags = new ArrayList<>();
            for (Mode mode : List.of(Mode.LEDGER, Mode.ALL)) {
                List<Double> l = new ArrayList<>();
                for (Phase p : phases) {
                    if (p.mode() != mode) continue;
                    l.addAll(BenchDatabase.writeLags(servers.get(mode).db, p.mixedFrom(), p.mixedTo()));
                    if (mode == Mode.ALL) {
                        accessLags.addAll(BenchDatabase.accessLags(servers.get(mode).db, p.mixedFrom(), p.mixedTo()));
                    }
                }
                lags.put(mode, l);
            }
            summary(database.name, s, phases, lags, accessLags);
            if (recording != null) HotFrames.print(recording, allWindows, 15);
        } finally {
            for (BenchServer server : servers.values()) server.close();
            chainLedger.shutdown();
            chainAll.shutdown();
            publicChain.shutdown();
        }
    }

    /**
     * At least two minutes: the everything-on server's rate can level off for half a minute before its JIT is done
     * (41, 57, 57, 62 requests/s, then 25.6, 21.4, 16.9 CPU ms per request in its three rounds).
     */
    private static final int MIN_WARM_UP_WINDOWS = 12;

    /**
     * Until the server runs steadily: the mixed workload in 10-second windows until the request rates of the last
     * three windows lie within 10 % of their mean (at least two minutes, at most {@code warm-up} seconds), then
     * 15 s of bundles, then its background work drained. A fixed 15 s left round 1 at a third to a half of round 3's
     * throughput, and 60 s still left the everything-on server (more code for the JIT to compile, on cores the load
     * keeps busy) at 40 % of its round 3 in round 2.
     */
    private static void warmUp(Mode mode, Workload w, BenchServer server, Settings s) throws Exception {
        List<Double> rates = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(s.warmUpSeconds());
        boolean steady = false;
        while (!steady && System.nanoTime() < end) {
            Workload.Mixed m = w.mixed(s.clients(), 10);
            rates.add(m.requests() / m.seconds());
            if (rates.size() >= MIN_WARM_UP_WINDOWS) {
                DoubleSummaryStatistics last = rates.subList(rates.size() - 3, rates.size()).stream()
                        .mapToDouble(Double::doubleValue)
                        .summaryStatistics();
                steady = last.getAverage() > 0 && last.getMax() - last.getMin() <= 0.1 * last.getAverage();
            }
        }
        w.bulk(s.bulkClients(), 15);
        server.awaitDrained();
        System.out.printf(
                "warm-up %-6s requests/s per 10 s window: %s (%s)%n",
                mode.label,
                rates.stream().map(r -> String.format("%.0f", r)).toList(),
                steady ? "steady" : "not steady within " + s.warmUpSeconds() + " s");
    }

    private static void printPhase(Phase p) {
        Workload.Mixed m = p.mixed();
        System.out.printf(
                "round %d %-6s load %s: %.0f writes/s, read p50 %.1f p95 %.1f ms, search p50 %.1f p95 %.1f ms,"
                        + " %.1f CPU ms/request, bulk %.0f resources/s (%d bundles), failures %d/%d%n",
                p.round(),
                p.mode().label,
                p.load(),
                m.writesPerSecond(),
                pct(m.readMs(), 50),
                pct(m.readMs(), 95),
                pct(m.searchMs(), 50),
                pct(m.searchMs(), 95),
                p.cpuMsPerRequest(),
                p.bulk().resourcesPerSecond(),
                p.bulk().bundles(),
                m.failures(),
                p.bulk().failures());
    }

    /** Medians over the rounds of each phase's figures, then the ratios to plain HAPI. */
    private static void summary(
            String db, Settings s, List<Phase> phases, Map<Mode, List<Double>> lags, List<Double> accessLags) {
        Map<Mode, double[]> med = new EnumMap<>(Mode.class);
        for (Mode mode : Mode.values()) {
            List<Phase> ps = phases.stream().filter(p -> p.mode() == mode).toList();
            med.put(mode, new double[] {
                median(ps, p -> p.mixed().writesPerSecond()),
                median(ps, p -> pct(p.mixed().writeMs(), 50)),
                median(ps, p -> pct(p.mixed().readMs(), 50)),
                median(ps, p -> pct(p.mixed().readMs(), 95)),
                median(ps, p -> pct(p.mixed().searchMs(), 50)),
                median(ps, p -> pct(p.mixed().searchMs(), 95)),
                median(ps, p -> p.bulk().resourcesPerSecond()),
                median(ps, Phase::cpuMsPerRequest)
            });
        }
        System.out.printf(
                "%n== %s, %d rounds (order rotated), %d clients x %d s mixed + %d bundle clients x %d s bulk per"
                        + " phase; load average now %s%n",
                db, s.rounds(), s.clients(), s.seconds(), s.bulkClients(), s.bulkSeconds(), loadAverage());
        System.out.println("\n| phase (median of rounds) | writes/s | write p50 ms | read p50 ms | read p95 ms |"
                + " search p50 ms | search p95 ms | bulk resources/s | CPU ms/request |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Mode mode : Mode.values()) {
            double[] v = med.get(mode);
            System.out.printf(
                    "| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.1f |%n",
                    mode.label, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
        double[] off = med.get(Mode.OFF);
        System.out.println("\n| ratio to off | write throughput | read p50 | read p95 | search p50 | search p95 |"
                + " bulk load | CPU/request |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (Mode mode : List.of(Mode.ALL, Mode.LEDGER)) {
            double[] v = med.get(mode);
            System.out.printf(
                    "| %s/off | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
                    mode.label,
                    v[0] / off[0],
                    v[2] / off[2],
                    v[3] / off[3],
                    v[4] / off[4],
                    v[5] / off[5],
                    v[6] / off[6],
                    v[7] / off[7]);
        }
        System.out.println("(goals for all/off: write >= 0.85, read and search p50 <= 1.15, bulk >= 0.80)");
        for (Map.Entry<Mode, List<Double>> e : lags.entrySet()) {
            List<Double> l = e.getValue();
            System.out.printf(
                    "write-to-chain lag, %s, %d versions of the mixed phases: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                    e.getKey().label, l.size(), pct(l, 50), pct(l, 99), pct(l, 100));
        }
        System.out.printf(
                "access-to-chain lag, all, %d accesses of the mixed phases (answer to access-ledger receipt):"
                        + " p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                accessLags.size(), pct(accessLags, 50), pct(accessLags, 99), pct(accessLags, 100));
    }

    private static double median(List<Phase> ps, java.util.function.ToDoubleFunction<Phase> f) {
        return pct(ps.stream().map(f::applyAsDouble).toList(), 50);
    }

    static double pct(List<Double> values, int p) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "?";
        }
    }
}
