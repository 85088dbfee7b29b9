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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.fhirledger.testing.Racer;
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
        assertThatThrownBy(() -> small.put(new byte[1001]))
                .isInstanceOf(ContentTooLargeException.class)
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
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".tmp-")))
                    .isEmpty();
        }
    }

    @Test
    void aPutOfContentThatGcIsAboutToDeleteKeepsTheObjectItReturns() throws Exception {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        byte[] content = random(1000, 5);
        Cid cid = store.put(content);
        store.unpin(cid); // garbage now, until someone puts the same bytes again

        AtomicReference<Cid> returned = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Thread> racer = new AtomicReference<>();
        store.beforeGcDelete = name -> {
            // GC found the object unpinned and is about to delete it: a put of the same bytes runs right now.
            racer.set(Racer.runUntilDoneOrBlocked("racer", () -> returned.set(store.put(content)), failure));
        };
        store.collectGarbage();
        racer.get().join();

        assertThat(failure.get()).isNull();
        assertThat(returned.get()).isEqualTo(cid);
        assertThat(store.isPinned(cid)).isTrue();
        assertThat(store.get(cid))
                .as("a CID put returned (and the ledger records) is held")
                .isEqualTo(content);
        store.beforeGcDelete = name -> {};
        assertThat(store.collectGarbage()).isZero();
        assertThat(new LocalContentStore(dir, 1 << 20).get(cid)).isEqualTo(content);
    }

    @Test
    void aPinThatSucceedsWhileGcRunsKeepsTheObject() throws Exception {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        Cid cid = store.put("pin me".getBytes());
        store.unpin(cid);

        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Thread> racer = new AtomicReference<>();
        store.beforeGcDelete = name -> racer.set(Racer.runUntilDoneOrBlocked("racer", () -> store.pin(cid), failure));
        store.collectGarbage();
        racer.get().join();

        // Either the pin came first and the object stays, or GC came first and the pin says so; never a pin of
        // an object that is gone.
        if (failure.get() == null) {
            assertThat(store.isPinned(cid)).isTrue();
            assertThat(store.get(cid)).isEqualTo("pin me".getBytes());
        } else {
            assertThat(failure.get()).isInstanceOf(ContentNotFoundException.class);
            assertThat(store.has(cid)).isFalse();
        }
    }

    @Test
    void garbageCollectionConcurrentWithPutsNeverDeletesAReturnedObject() throws Exception {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            contents.add(random(2000, 100 + i));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> gc = pool.submit(() -> {
                while (!stop.get()) {
                    store.collectGarbage();
                }
            });
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                // Each writer its own contents: one writer's unpin must not race the other's get.
                List<byte[]> own = contents.subList(w * 20, w * 20 + 20);
                writers.add(pool.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        for (byte[] content : own) {
                            Cid cid = store.put(content);
                            assertThat(store.get(cid)).isEqualTo(content);
                            store.unpin(cid); // garbage again for the next round
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            stop.set(true);
            gc.get(60, TimeUnit.SECONDS);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void pinMarkersAreCreatedDurablyAndLeaveNoTempFiles() throws IOException {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        Cid cid = store.put("x".getBytes());
        store.put("x".getBytes());
        store.pin(cid);
        try (Stream<Path> pins = Files.list(dir.resolve("pins"))) {
            assertThat(pins.map(p -> p.getFileName().toString())).containsExactly(cid.toString());
        }
    }
}
