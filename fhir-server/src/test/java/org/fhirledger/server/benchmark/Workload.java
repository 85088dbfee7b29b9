package org.fhirledger.server.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of one server: the mixed workload (concurrent clients creating Patients, Observations and
 * DiagnosticReports, reading them back and searching Observations) and the bulk load (transaction bundles of a
 * Synthea patient). What was created stays known across phases, so later reads and searches hit a growing database.
 */
final class Workload {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** LOINC codes of the Observations created (and searched for). */
    static final String[][] CODES = {
        {"8867-4", "Heart rate", "/min", "72"},
        {"29463-7", "Body weight", "kg", "71.5"},
        {"2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "96"},
        {"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "13.9"},
        {"8480-6", "Systolic blood pressure", "mm[Hg]", "121"}
    };

    /** What one phase measured (times in ms). */
    record Mixed(
            double seconds,
            long writes,
            List<Double> writeMs,
            List<Double> readMs,
            List<Double> searchMs,
            long failures) {
        double writesPerSecond() {
            return writes / seconds;
        }

        long requests() {
            return writeMs.size() + readMs.size() + searchMs.size();
        }
    }

    record Bulk(long bundles, long resources, double seconds, long failures) {
        double resourcesPerSecond() {
            return resources / seconds;
        }
    }

    private final String base;
    private final String token;
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<String> patients = new CopyOnWriteArrayList<>();
    private final String patientBundle;
    private final int bundleEntries;

    Workload(String base, String token) {
        this.base = base;
        this.token = token;
        this.patientBundle = resource("/synthea/patient-transaction.json");
        try {
            this.bundleEntries = JSON.readTree(patientBundle).path("entry").size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Synthea's patient bundle refers to these organizations and practitioners by conditional reference. */
    void loadSharedBundles() throws Exception {
        for (String name : List.of("/synthea/hospitals-batch.json", "/synthea/practitioners-batch.json")) {
            HttpResponse<String> r = send("POST", "", resource(name));
            if (r.statusCode() != 200) throw new IllegalStateException(name + ": " + r.statusCode() + " " + r.body());
        }
    }

    Mixed mixed(int clients, int seconds) throws Exception {
        List<Double> writes = Collections.synchronizedList(new ArrayList<>());
        List<Double> reads = Collections.synchronizedList(new ArrayList<>());
        List<Double> searches = Collections.synchronizedList(new ArrayList<>());
        AtomicLong written = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        iteration(writes, reads, searches, written);
                    } catch (Exception e) {
                        if (failures.incrementAndGet() <= 5) System.err.println("request failed: " + e.getMessage());
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 120L, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return new Mixed(elapsed, written.get(), writes, reads, searches, failures.get());
    }

    /** Three writes (a patient, an observation, a report on it), three reads, two searches. */
    private void iteration(List<Double> writes, List<Double> reads, List<Double> searches, AtomicLong written)
            throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String[] code = CODES[rnd.nextInt(CODES.length)];
        String date = String.format(
                "%d-%02d-%02dT%02d:15:00Z",
                2020 + rnd.nextInt(5), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28), rnd.nextInt(24));
        long t = System.nanoTime();
        String patient = "Patient/"
                + create(
                        "Patient",
                        "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"urn:bench:mrn\",\"value\":\""
                                + rnd.nextLong(1_000_000_000L)
                                + "\"}],\"name\":[{\"family\":\"Bench\",\"given\":[\"Pat\"]}],"
                                + "\"gender\":\"" + (rnd.nextBoolean() ? "female" : "male") + "\",\"birthDate\":\""
                                + (1940 + rnd.nextInt(70)) + "-0" + (1 + rnd.nextInt(9)) + "-1" + rnd.nextInt(10)
                                + "\"}");
        writes.add((System.nanoTime() - t) / 1e6);
        t = System.nanoTime();
        String observation = "Observation/"
                + create(
                        "Observation",
                        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":"
                                + "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"vital-signs\"}]}],"
                                + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" + code[0]
                                + "\",\"display\":\"" + code[1] + "\"}]},\"subject\":{\"reference\":\"" + patient
                                + "\"},\"effectiveDateTime\":\"" + date + "\",\"valueQuantity\":{\"value\":" + code[3]
                                + ",\"unit\":\"" + code[2] + "\",\"system\":\"http://unitsofmeasure.org\",\"code\":\""
                                + code[2] + "\"}}");
        writes.add((System.nanoTime() - t) / 1e6);
        t = System.nanoTime();
        String report = "DiagnosticReport/"
                + create(
                        "DiagnosticReport",
                        "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                                + "\"http://loinc.org\",\"code\":\"24323-8\",\"display\":\"Comprehensive metabolic panel\"}]},"
                                + "\"subject\":{\"reference\":\"" + patient + "\"},\"effectiveDateTime\":\"" + date
                                + "\",\"result\":[{\"reference\":\"" + observation + "\"}],"
                                + "\"conclusion\":\"Within normal limits\"}");
        writes.add((System.nanoTime() - t) / 1e6);
        written.addAndGet(3);
        created.add(patient);
        created.add(observation);
        created.add(report);
        patients.add(patient);
        for (int i = 0; i < 3; i++) {
            String target = created.get(rnd.nextInt(created.size()));
            t = System.nanoTime();
            expect(send("GET", target, null), 200, "read");
            reads.add((System.nanoTime() - t) / 1e6);
        }
        for (int i = 0; i < 2; i++) {
            String other = patients.get(rnd.nextInt(patients.size()));
            String[] c = CODES[rnd.nextInt(CODES.length)];
            int year = 2020 + rnd.nextInt(5);
            int month = 1 + rnd.nextInt(12);
            String query = switch (rnd.nextInt(3)) {
                case 0 -> "Observation?subject=" + other;
                case 1 ->
                    "Observation?code=http://loinc.org%7C" + c[0] + "&date=ge"
                            + String.format("%d-%02d", year, month) + "&date=lt"
                            + String.format("%d-%02d", month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1);
                default -> "Observation?patient=" + other + "&code=http://loinc.org%7C" + c[0];
            };
            t = System.nanoTime();
            expect(send("GET", query, null), 200, "search");
            searches.add((System.nanoTime() - t) / 1e6);
        }
    }

    record Reads(long count, double seconds, double p50, double p95, long failures) {}

    /** Reads only, for {@code seconds}: resources chosen at random among those created so far. */
    Reads reads(int clients, int seconds) throws Exception {
        List<Double> times = Collections.synchronizedList(new ArrayList<>());
        AtomicLong failures = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        String target = created.get(ThreadLocalRandom.current().nextInt(created.size()));
                        long t = System.nanoTime();
                        expect(send("GET", target, null), 200, "read");
                        times.add((System.nanoTime() - t) / 1e6);
                    } catch (Exception e) {
                        if (failures.incrementAndGet() <= 5) System.err.println("request failed: " + e.getMessage());
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 120L, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return new Reads(
                times.size(), elapsed, ServerBenchmark.pct(times, 50), ServerBenchmark.pct(times, 95), failures.get());
    }

    /** {@code clients} clients post the Synthea patient bundle as a transaction, for {@code seconds}. */
    Bulk bulk(int clients, int seconds) throws Exception {
        AtomicLong bundles = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        expect(send("POST", "", patientBundle), 200, "transaction");
                        bundles.incrementAndGet();
                        lastDone.accumulateAndGet(System.nanoTime(), Math::max);
                    } catch (Exception e) {
                        if (failures.incrementAndGet() <= 5) System.err.println("bundle failed: " + e.getMessage());
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 300L, TimeUnit.SECONDS);
        double elapsed = (Math.max(lastDone.get(), t0 + 1) - t0) / 1e9;
        return new Bulk(bundles.get(), bundles.get() * bundleEntries, elapsed, failures.get());
    }

    private String create(String type, String body) throws Exception {
        HttpResponse<String> r = expect(send("POST", type, body), 201, "create " + type);
        JsonNode id = JSON.readTree(r.body()).get("id");
        return id.asText();
    }

    private static HttpResponse<String> expect(HttpResponse<String> r, int status, String what) {
        if (r.statusCode() != status) {
            String body = r.body();
            throw new IllegalStateException(
                    what + ": " + r.statusCode() + " " + body.substring(0, Math.min(300, body.length())));
        }
        return r;
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(300))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json");
        if (body == null) b.GET();
        else
            b.header("Content-Type", "application/fhir+json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String resource(String name) {
        try (InputStream in = Workload.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
