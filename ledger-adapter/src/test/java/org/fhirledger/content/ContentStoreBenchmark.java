package org.fhirledger.content;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.FileDataKeyStore;
import org.fhirledger.crypto.FileKeyVault;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.testing.IpfsNode;

/**
 * Benchmark, not a test: put (encrypt + store) and get (fetch + verify + decrypt) of encrypted bodies, embedded
 * local store vs a real js-ipfs daemon it starts itself. Sequential single-thread calls, so latency = 1/throughput.
 *
 * <p>Run it with the command in docs/benchmarks.md ({@code exec:java} with {@code -am} also runs in the parent
 * pom and fails there, so the classpath is built by the dependency plugin and {@code java} is called directly).
 */
public final class ContentStoreBenchmark {
    private static final int[] SIZES = {2 * 1024, 64 * 1024, 1024 * 1024};
    private static final int[] ITERATIONS = {400, 200, 40};
    private static final int PATIENTS = 20;

    private ContentStoreBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("content-bench-");
        EnvelopeCipher cipher = new EnvelopeCipher(FileKeyVault.open(work), new FileDataKeyStore(work));
        System.out.printf(
                Locale.ROOT,
                "JDK %s, %d cores%n",
                Runtime.version(),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| store | body | op | ops/s | MiB/s | p50 ms | p99 ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (IpfsNode node = IpfsNode.start(IpfsNode.toolsDirFromSystemProperty())) {
            // One untimed pass first, so the JIT has compiled AES-GCM and the hash code before anything is measured.
            run(null, null, cipher);
            run("none (cipher only)", null, cipher);
            run("local", new LocalContentStore(work.resolve("content"), 64L << 20), cipher);
            run("js-ipfs", new KuboContentStore(KuboConfig.defaults(node.apiUrl())), cipher);
        }
    }

    private static void run(String name, ContentStore store, EnvelopeCipher cipher) {
        Random random = new Random(42);
        for (int s = 0; s < SIZES.length; s++) {
            int size = SIZES[s];
            int n = ITERATIONS[s];
            int warmup = Math.max(5, n / 5);
            byte[] body = new byte[size];
            random.nextBytes(body);
            List<ResourceVersion> ids = new ArrayList<>();
            List<Object> handles = new ArrayList<>();
            long[] putNanos = new long[n];
            for (int i = -warmup; i < n; i++) {
                ResourceVersion rv = new ResourceVersion("Observation", "o" + (i + warmup), "1");
                String keyId = "patient-" + Math.floorMod(i, PATIENTS);
                long t0 = System.nanoTime();
                byte[] envelope = cipher.encrypt(keyId, rv, body);
                Object handle = store == null ? envelope : store.put(envelope);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    putNanos[i] = t1 - t0;
                    ids.add(rv);
                    handles.add(handle);
                }
            }
            long[] getNanos = new long[n];
            for (int i = 0; i < n; i++) {
                String keyId = "patient-" + Math.floorMod(i, PATIENTS);
                long t0 = System.nanoTime();
                byte[] envelope = store == null ? (byte[]) handles.get(i) : store.get((Cid) handles.get(i));
                byte[] plain = cipher.decrypt(keyId, ids.get(i), envelope);
                long t1 = System.nanoTime();
                getNanos[i] = t1 - t0;
                if (plain.length != size) {
                    throw new IllegalStateException("round trip lost bytes");
                }
            }
            if (name != null) {
                print(name, size, store == null ? "encrypt" : "put", putNanos);
                print(name, size, store == null ? "decrypt" : "get", getNanos);
            }
        }
    }

    private static void print(String store, int size, String op, long[] nanos) {
        long total = Arrays.stream(nanos).sum();
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double opsPerSecond = nanos.length / (total / 1e9);
        double mibPerSecond = opsPerSecond * size / (1024.0 * 1024.0);
        System.out.printf(
                Locale.ROOT,
                "| %s | %s | %s | %.0f | %.1f | %.2f | %.2f |%n",
                store,
                size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB",
                op,
                opsPerSecond,
                mibPerSecond,
                percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6);
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
