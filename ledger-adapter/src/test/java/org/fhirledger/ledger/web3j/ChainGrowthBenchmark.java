package org.fhirledger.ledger.web3j;

import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.Role;
import org.fhirledger.testing.AnvilExtension;
import org.fhirledger.testing.FreePort;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Not a test: how the embedded chain behaves as it grows. Starts anvil with bin/run's flags (1-second blocks, gas
 * price 0, {@code --prune-history 4}; argument {@code old}: without it, as bin/run did before), writes record entries
 * through the adapter (batches of 100, at most 2,000 waiting) and prints, per checkpoint: entries/s and receipt
 * latency (p50/p99) since the previous checkpoint, anvil's resident memory, and what one snapshot costs at that size
 * ({@code anvil_dumpState}: time and gzip'd size; mining waits that long during the server's snapshot).
 * {@code keeper=N} adds {@code --transaction-block-keeper N} (receipts of older blocks dropped).
 * Run: {@code bin/bench ChainGrowthBenchmark [entries=100000] [bin-run|old|keeper=N]}.
 */
public final class ChainGrowthBenchmark {
    private ChainGrowthBenchmark() {}

    public static void main(String[] args) throws Exception {
        long total = args.length > 0 ? Long.parseLong(args[0]) : 100_000;
        boolean old = args.length > 1 && args[1].equals("old");
        String keeper = args.length > 1 && args[1].startsWith("keeper=") ? args[1].substring(7) : null;
        // "last-dump-only": no dump at the checkpoints but the last (how much of anvil's memory the dumps leave)
        boolean lastDumpOnly = List.of(args).contains("last-dump-only");
        // "repeat-dumps=N": at the end N more dumps of the same chain, anvil's memory after each (what snapshots alone
        // do)
        int repeatDumps = List.of(args).stream()
                .filter(a -> a.startsWith("repeat-dumps="))
                .mapToInt(a -> Integer.parseInt(a.substring(13)))
                .findFirst()
                .orElse(0);
        int port = FreePort.pick();
        Path dir = Files.createTempDirectory("chain-growth-");
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
                "0",
                "--accounts",
                "3"));
        if (!old) cmd.addAll(List.of("--prune-history", "4"));
        if (keeper != null) cmd.addAll(List.of("--transaction-block-keeper", keeper));
        Process anvil = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("anvil.log").toFile())
                .start();
        String url = "http://127.0.0.1:" + port;
        try {
            waitFor(url);
            Web3j web3j = Web3j.build(new HttpService(url));
            String key0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
            String key1 = "0x59c6995e998f97a5a0044966f0da1e9a31f05fc6ab8f9dc9e2c60c4da0b6e5e1";
            LedgerDeployer admin =
                    new LedgerDeployer(web3j, Credentials.create(key0), 31337, java.math.BigInteger.ZERO);
            ContractAddresses contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
            Credentials custodian = Credentials.create(key1);
            admin.assignRole(contracts, custodian.getAddress(), Role.CUSTODIAN, pseudonym("Organization/H"));
            LedgerConfig config =
                    LedgerConfig.defaults(url, 31337, contracts).withBatching(100, Duration.ofMillis(200));
            System.out.printf(
                    "anvil %s%s, 1-second blocks; %,d record entries, batches of 100%n",
                    old ? "without --prune-history (bin/run before)" : "--prune-history 4 (bin/run)",
                    keeper == null ? "" : ", --transaction-block-keeper " + keeper,
                    total);
            System.out.printf(
                    "%10s %10s %10s %10s %10s %10s %12s %12s%n",
                    "entries", "entries/s", "p50 ms", "p99 ms", "MB before", "MB after", "dump ms", "dump MB gz");
            Semaphore window = new Semaphore(2_000);
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            try (Web3jLedger ledger = Web3jLedger.connect(config, custodian)) {
                long next = 10_000;
                long since = System.nanoTime();
                long done = 0;
                for (long i = 0; i < total; i++) {
                    window.acquire();
                    long t0 = System.nanoTime();
                    CompletableFuture<LedgerReceipt> f =
                            ledger.appendRecord(LedgerTestData.record("Observation/g" + i, 1));
                    f.whenComplete((r, e) -> {
                        latencies.add(System.nanoTime() - t0);
                        window.release();
                        if (e != null) System.err.println("entry failed: " + e);
                    });
                    if (i + 1 == next || i + 1 == total) {
                        window.acquire(2_000); // all confirmed
                        window.release(2_000);
                        long n = i + 1 - done;
                        double secs = (System.nanoTime() - since) / 1e9;
                        long[] l = latencies.stream()
                                .mapToLong(Long::longValue)
                                .sorted()
                                .toArray();
                        latencies.clear();
                        long rssBefore = rssMb(anvil);
                        long dumpStart = System.nanoTime();
                        String dump = lastDumpOnly && i + 1 != total ? "" : rpc(url, "anvil_dumpState");
                        long dumpMs = (System.nanoTime() - dumpStart) / 1_000_000;
                        System.out.printf(
                                "%,10d %10.0f %10d %10d %10d %10d %12d %12.1f%n",
                                i + 1,
                                n / secs,
                                l[l.length / 2] / 1_000_000,
                                l[(int) (l.length * 0.99)] / 1_000_000,
                                rssBefore,
                                rssMb(anvil),
                                dumpMs,
                                dump.length() / 2 / 1e6);
                        if (i + 1 == total) System.out.println("last dump, JSON bytes by part: " + DumpParts.of(dump));
                        done = i + 1;
                        next = next < 100_000 ? next + 10_000 : next * 2;
                        since = System.nanoTime();
                    }
                }
            }
            for (int d = 1; d <= repeatDumps; d++) {
                long dumpStart = System.nanoTime();
                rpc(url, "anvil_dumpState");
                System.out.printf(
                        "repeated dump %d of the same chain: %d ms, anvil %d MB after%n",
                        d, (System.nanoTime() - dumpStart) / 1_000_000, rssMb(anvil));
            }
            web3j.shutdown();
        } finally {
            anvil.destroyForcibly();
            anvil.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static long rssMb(Process p) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
        return -1;
    }

    private static String rpc(String url, String method) throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":[]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        int start = body.indexOf("\"result\":\"") + 10;
        return body.substring(start, body.indexOf('"', start));
    }

    private static void waitFor(String url) throws Exception {
        for (int i = 0; i < 300; i++) {
            try {
                rpc(url, "eth_blockNumber");
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("anvil did not start: " + Arrays.toString(new String[] {url}));
    }
}
