package org.fhirledger.server.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.FreePort;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Cross-institution read latency: two full servers on one anvil (A founds the directory, B is admitted and started as
 * in RetrievalTest), a patient at both with the shared identifier and N Observations at A, consented at A to B's
 * clinician through a FHIR Consent naming their account and to A's clinician likewise. Timed, interleaved, after a
 * warm-up: B's clinician's {@code Patient/{id}/$fetch-remote?member=A&_type=Observation} at B (member token from A,
 * search at A, every version's hash checked against A's entries on chain), A's clinician's
 * {@code Observation?patient=} at A, and a single Observation read at A. Prints p50/p99 and the ratios.
 *
 * <p>Usage: {@code bin/bench ExchangeBenchmark [observations=20] [repetitions=50] [warmup=10]}
 */
public final class ExchangeBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();

        Path root = Files.createDirectories(Path.of("target", "bench-data").toAbsolutePath());
        int aPort = FreePort.pick();
        PipelineServer a = PipelineServer.start(
                Files.createTempDirectory(root, "exchange-a-"),
                SharedChain.anvil().rpcUrl(),
                SharedChain.anvil().chainId(),
                "--server.port=" + aPort,
                "--exchange.fhir-base-url=http://localhost:" + aPort + "/fhir",
                "--exchange.organization=urn:oid:2.99.1",
                "--logging.level.root=WARN");
        Web3j web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        PipelineServer b = null;
        try {
            ConsortiumView view = a.ctx.getBean(ConsortiumView.class);
            b = MemberServer.start(
                    a.dataDir,
                    web3j,
                    a.ctx.getBean(InstitutionDirectory.class),
                    Credentials.create(org.web3j.crypto.Keys.createEcKeyPair()),
                    "urn:oid:2.99.2",
                    view::invalidate,
                    "--logging.level.root=WARN");
            String system = a.ctx.getBean(ExchangeProperties.class).patientIdentifierSystem();
            String patientJson = "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + system
                    + "\",\"value\":\"BENCH-" + UUID.randomUUID() + "\"}]}";
            String patientAtA = id(call(a, "POST", a.token(), "/Patient", patientJson));
            String patientAtB = id(call(b, "POST", b.token(), "/Patient", patientJson));
            List<String> observations = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                observations.add(id(call(
                        a,
                        "POST",
                        a.token(),
                        "/Observation",
                        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"bench " + i
                                + "\"},\"valueQuantity\":{\"value\":" + i + "},"
                                + "\"subject\":{\"reference\":\"Patient/" + patientAtA + "\"}}")));
            }

            DevTokens.Minted clinicianB = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/bench-b");
            DevTokens.Minted clinicianA = DevTokens.mintFor(a.dataDir, Role.CLINICIAN, "Practitioner/bench-a");
            // consent at B for B's own clinician (the Patient is read at B first), at A through FHIR Consents
            b.ledger()
                    .grantConsent(
                            b.ctx.getBean(Pseudonyms.class).of("Patient", patientAtB),
                            clinicianB.ledgerAddress(),
                            ConsentAction.READ.bit(),
                            ResourceTypes.ALL,
                            Instant.now().plus(Duration.ofHours(1)));
            for (String account : List.of(clinicianB.ledgerAddress(), clinicianA.ledgerAddress())) {
                id(call(a, "POST", a.token(), "/Consent", TestConsortium.consent(patientAtA, account)));
            }
            a.awaitBacklogEmpty(Duration.ofSeconds(120)); // A's versions on chain before B checks them

            String aCustodian = a.ctx.getBean(Ledger.class).account();
            String remote = "/Patient/" + patientAtB + "/$fetch-remote?member=" + aCustodian + "&_type=Observation";
            String search = "/Observation?patient=Patient/" + patientAtA + "&_count=" + Math.max(n, 1);
            String read = "/Observation/" + observations.get(0);
            PipelineServer fb = b;
            Map<String, Runnable> kinds = new LinkedHashMap<>();
            kinds.put("fetch-remote at B (B's clinician, from A)", () -> expect(fb, clinicianB.token(), remote, n));
            kinds.put("search at A (A's clinician)", () -> expect(a, clinicianA.token(), search, n));
            kinds.put("read at A (A's clinician)", () -> expect(a, clinicianA.token(), read, -1));

            for (int i = 0; i < warmup; i++) kinds.values().forEach(Runnable::run);
            Map<String, long[]> nanos = new LinkedHashMap<>();
            kinds.keySet().forEach(name -> nanos.put(name, new long[k]));
            for (int i = 0; i < k; i++) { // interleaved: a load spike on the shared machine hits every kind alike
                for (Map.Entry<String, Runnable> e : kinds.entrySet()) {
                    long t0 = System.nanoTime();
                    e.getValue().run();
                    nanos.get(e.getKey())[i] = System.nanoTime() - t0;
                }
            }

            System.out.printf(
                    "ExchangeBenchmark: %d Observations, %d warm-up rounds, %d timed rounds, sequential, one client%n",
                    n, warmup, k);
            System.out.printf("%-45s %10s %10s%n", "request", "p50 ms", "p99 ms");
            Map<String, double[]> figures = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : nanos.entrySet()) {
                double[] f = {percentile(e.getValue(), 50), percentile(e.getValue(), 99)};
                figures.put(e.getKey(), f);
                System.out.printf("%-45s %10.1f %10.1f%n", e.getKey(), f[0], f[1]);
            }
            List<double[]> f = new ArrayList<>(figures.values());
            System.out.printf(
                    "ratio fetch-remote / search at A: p50 %.1f, p99 %.1f%n",
                    f.get(0)[0] / f.get(1)[0], f.get(0)[1] / f.get(1)[1]);
            System.out.printf(
                    "ratio fetch-remote / read at A:   p50 %.1f, p99 %.1f%n",
                    f.get(0)[0] / f.get(2)[0], f.get(0)[1] / f.get(2)[1]);
            System.out.println("load average before: " + loadBefore + "; after: "
                    + Files.readString(Path.of("/proc/loadavg")).trim());
        } finally {
            if (b != null) b.close();
            a.close();
            web3j.shutdown();
        }
        System.exit(0);
    }

    /** One request; the answer must be 200 and, for a Bundle, hold {@code matches} resources (never timed wrong). */
    static void expect(PipelineServer server, String token, String path, int matches) {
        HttpResponse<String> r = call(server, "GET", token, path, null);
        if (r.statusCode() != 200) throw new IllegalStateException(path + " answered " + r.statusCode());
        if (matches < 0) return;
        try {
            int found = 0;
            for (JsonNode e : JSON.readTree(r.body()).path("entry")) {
                if (!"outcome".equals(e.at("/search/mode").asText())) found++;
            }
            if (found != matches)
                throw new IllegalStateException(path + ": " + found + " of " + matches + " resources");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> call(PipelineServer server, String method, String token, String path, String body) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json");
        if (body == null) req.GET();
        else
            req.header("Content-Type", "application/fhir+json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        try {
            return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String id(HttpResponse<String> created) throws Exception {
        if (created.statusCode() != 201) {
            throw new IllegalStateException("not created: " + created.statusCode() + " " + created.body());
        }
        return JSON.readTree(created.body()).path("id").asText();
    }

    /** The p-th percentile (nearest rank) in milliseconds. */
    static double percentile(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }
}
