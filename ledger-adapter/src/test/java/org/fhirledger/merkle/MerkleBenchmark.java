package org.fhirledger.merkle;

import java.util.Arrays;
import java.util.Random;
import org.fhirledger.bytes.Bytes32;

/**
 * Manual benchmark, not a test: appends N leaves (default 1,000,000), then times proof generation and
 * verification at random (index, size) / (size1, size2) pairs. Prints p50/p99 in microseconds.
 * Command in docs/benchmarks.md.
 */
public final class MerkleBenchmark {

    private static final int SAMPLES = 100_000;
    private static final int WARMUP = 20_000;

    private MerkleBenchmark() {}

    public static void main(String[] args) throws VerificationException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Random rnd = new Random(42);
        MerkleLog log = MerkleLog.inMemory();
        byte[] entry = new byte[256];

        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            rnd.nextBytes(entry);
            log.appendEntry(entry);
        }
        double appendSeconds = (System.nanoTime() - t0) / 1e9;
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long usedMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
        System.out.printf(
                "append %,d leaves (256-byte entries, leaf hash + tree): %.2f s, %,.0f leaves/s, heap ~%d MB%n",
                n, appendSeconds, n / appendSeconds, usedMb);

        long[] incGen = new long[SAMPLES];
        long[] incVer = new long[SAMPLES];
        long[] conGen = new long[SAMPLES];
        long[] conVer = new long[SAMPLES];
        long[] rootAt = new long[SAMPLES];
        for (int round = 0; round < 2; round++) {
            int count = round == 0 ? WARMUP : SAMPLES;
            for (int s = 0; s < count; s++) {
                long size = 1 + rnd.nextInt(n);
                long index = rnd.nextInt((int) size);
                long size1 = 1 + rnd.nextInt((int) size);
                Bytes32 leaf = log.leafHash(index);
                Bytes32 root = log.rootAt(size);
                Bytes32 root1 = log.rootAt(size1);

                long a = System.nanoTime();
                InclusionProof inc = log.inclusionProof(index, size);
                long b = System.nanoTime();
                ProofVerifier.verifyInclusion(leaf, inc, root);
                long c = System.nanoTime();
                ConsistencyProof con = log.consistencyProof(size1, size);
                long d = System.nanoTime();
                ProofVerifier.verifyConsistency(con, root1, root);
                long e = System.nanoTime();
                log.rootAt(size);
                long f = System.nanoTime();
                if (round == 1) {
                    incGen[s] = b - a;
                    incVer[s] = c - b;
                    conGen[s] = d - c;
                    conVer[s] = e - d;
                    rootAt[s] = f - e;
                }
            }
        }
        System.out.printf("%,d samples, random size in [1, %,d], random index / size1 below it%n", SAMPLES, n);
        report("inclusion proof   ", incGen);
        report("verify inclusion  ", incVer);
        report("consistency proof ", conGen);
        report("verify consistency", conVer);
        report("root at size      ", rootAt);
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(
                "%s p50 %6.1f us   p99 %6.1f us%n",
                what, sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3);
    }
}
