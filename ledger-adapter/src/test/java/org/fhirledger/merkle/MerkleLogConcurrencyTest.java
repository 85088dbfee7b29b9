package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;

/** Proofs requested while another thread appends are always for a consistent snapshot and verify. */
class MerkleLogConcurrencyTest {

    @Test
    void readersSeeConsistentTreesWhileAWriterAppends() throws Exception {
        MerkleLog log = MerkleLog.inMemory();
        Random seed = new Random(5);
        List<Bytes32> leaves = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            leaves.add(ProofMutations.randomHash(seed));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> reader = pool.submit(() -> {
                Random rnd = new Random(6);
                int verified = 0;
                while (log.size() < leaves.size() || verified < 100) {
                    long size = log.size();
                    if (size == 0) {
                        continue;
                    }
                    long index = (long) (rnd.nextDouble() * size);
                    InclusionProof p = log.inclusionProof(index, size);
                    ProofVerifier.verifyInclusion(leaves.get((int) index), p, log.rootAt(size));
                    long size1 = 1 + (long) (rnd.nextDouble() * size);
                    ProofVerifier.verifyConsistency(
                            log.consistencyProof(size1, size), log.rootAt(size1), log.rootAt(size));
                    verified++;
                }
                return verified;
            });
            Future<?> writer = pool.submit(() -> {
                for (int i = 0; i < leaves.size(); i += 10) {
                    log.appendLeafHashes(leaves.subList(i, i + 10));
                }
            });
            writer.get(30, TimeUnit.SECONDS);
            assertThat(reader.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(100);
        } finally {
            pool.shutdownNow();
        }
        assertThat(log.size()).isEqualTo(leaves.size());
    }
}
