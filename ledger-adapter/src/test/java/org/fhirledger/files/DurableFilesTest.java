package org.fhirledger.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {

    @TempDir
    Path dir;

    @Test
    void createsThenReplacesWholeAndLeavesNoTempFiles() throws IOException {
        Path target = dir.resolve("key.json");
        DurableFiles.writeAtomically(target, "first".getBytes(StandardCharsets.UTF_8));
        DurableFiles.writeAtomically(target, "second, longer".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(target)).isEqualTo("second, longer");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void tempFileAttributesApplyBeforeTheContentLands() throws IOException {
        Path target = dir.resolve("secret");
        DurableFiles.writeAtomically(
                target,
                new byte[] {1, 2, 3},
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
    }

    @Test
    void aFailedRenameKeepsTheOldContentAndCleansUp() throws IOException {
        // A non-empty directory at the target cannot be replaced: the move fails after the temp file is written.
        Path target = dir.resolve("occupied");
        Files.createDirectories(target.resolve("child"));
        assertThatThrownBy(() -> DurableFiles.writeAtomically(target, new byte[] {9}))
                .isInstanceOf(IOException.class);
        assertThat(Files.isDirectory(target.resolve("child"))).isTrue();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void createIfAbsentCreatesOnceAndNeverReplaces() throws IOException {
        Path target = dir.resolve("marker");
        assertThat(DurableFiles.createIfAbsent(
                        target,
                        "first".getBytes(StandardCharsets.UTF_8),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))
                .isTrue();
        assertThat(DurableFiles.createIfAbsent(target, "second".getBytes(StandardCharsets.UTF_8)))
                .isFalse();
        assertThat(Files.readString(target)).isEqualTo("first");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        assertThat(DurableFiles.createIfAbsent(dir.resolve("empty"), new byte[0]))
                .isTrue();
        assertThat(Files.size(dir.resolve("empty"))).isZero();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactlyInAnyOrder(target, dir.resolve("empty"));
        }
    }

    @Test
    void concurrentCreateIfAbsentHasExactlyOneWinnerWhoseContentStays() throws Exception {
        Path target = dir.resolve("contended");
        int threads = 8;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                byte[] content = ("writer " + i).getBytes(StandardCharsets.UTF_8);
                results.add(pool.submit(() -> {
                    start.await();
                    return DurableFiles.createIfAbsent(target, content);
                }));
            }
            int winners = 0;
            for (var r : results) {
                winners += r.get() ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(Files.readString(target)).startsWith("writer ");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }
}
