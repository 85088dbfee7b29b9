package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalContentStoreTest {
    @TempDir
    Path dir;

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void roundTripAcrossInstancesWithCanonicalCid() {
        byte[] content = random(300_000, 1);
        Cid cid = new LocalContentStore(dir, 1 << 20).put(content);

        LocalContentStore reopened = new LocalContentStore(dir, 1 << 20);
        assertThat(reopened.get(cid)).isEqualTo(content);
        assertThat(cid.toString()).startsWith("bafybei"); // dag-pb, two chunks
        assertThat(reopened.has(cid)).isTrue();
        assertThat(reopened.isPinned(cid)).isTrue();
    }

    @Test
    void aTamperedFileIsDetectedNotReturned() throws IOException {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        Cid cid = store.put("ciphertext".getBytes());
        Path file = store.objectPath(cid);
        Files.write(file, "other bytes".getBytes());

        assertThatThrownBy(() -> store.get(cid))
                .isInstanceOf(ContentIntegrityException.class)
                .hasMessageContaining(cid.toString());
    }

    @Test
    void puttingTheContentAgainRepairsADamagedObject() throws IOException {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        byte[] content = random(1000, 4);
        Cid cid = store.put(content);
        Files.write(store.objectPath(cid), new byte[1000]);

        assertThat(store.put(content)).isEqualTo(cid);
        assertThat(store.get(cid)).isEqualTo(content);
    }

    @Test
    void unknownCidIsNotFound() {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        Cid absent = Cid.ofBlock(Cid.RAW, "never stored".getBytes());
        assertThat(store.has(absent)).isFalse();
        assertThatThrownBy(() -> store.get(absent)).isInstanceOf(ContentNotFoundException.class);
        assertThatThrownBy(() -> store.pin(absent)).isInstanceOf(ContentNotFoundException.class);
    }

    @Test
    void oversizeIsRefusedOnPutAndOnGet() {
        LocalContentStore small = new LocalContentStore(dir, 1000);
        assertThatThrownBy(() -> small.put(new byte[1001])).isInstanceOf(ContentTooLargeException.class)
                .hasMessageContaining("1000");
        assertThat(small.put(new byte[1000])).isNotNull();

        Cid big = new LocalContentStore(dir, 5000).put(random(4000, 2));
        assertThatThrownBy(() -> small.get(big)).isInstanceOf(ContentTooLargeException.class);
    }

    @Test
    void unpinnedContentIsCollectedPinnedStays() {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        Cid keep = store.put("keep".getBytes());
        Cid drop = store.put("drop".getBytes());
        store.unpin(drop);
        store.unpin(drop); // idempotent

        assertThat(store.isPinned(drop)).isFalse();
        assertThat(store.collectGarbage()).isEqualTo(1);
        assertThat(store.has(drop)).isFalse();
        assertThat(store.get(keep)).isEqualTo("keep".getBytes());

        Cid again = store.put("drop".getBytes());
        assertThat(again).isEqualTo(drop);
        store.unpin(again);
        store.pin(again);
        assertThat(store.collectGarbage()).isZero();
    }

    @Test
    void concurrentPutsOfTheSameContentLeaveOneCompleteObjectAndNoTempFiles() throws Exception {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        byte[] content = random(500_000, 3);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Cid>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> store.put(content)));
            }
            Cid first = futures.get(0).get();
            for (Future<Cid> f : futures) {
                assertThat(f.get()).isEqualTo(first);
            }
            assertThat(store.get(first)).isEqualTo(content);
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }
}
