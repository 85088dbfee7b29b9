package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.fhirledger.testing.IpfsNodeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Against a real js-ipfs daemon speaking the Kubo RPC API. */
class KuboContentStoreTest {
    @RegisterExtension
    static final IpfsNodeExtension IPFS = new IpfsNodeExtension();

    @TempDir
    Path dir;

    private KuboContentStore store() {
        return new KuboContentStore(KuboConfig.defaults(IPFS.apiUrl())
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(1))
                .withRetries(3, Duration.ofMillis(100), Duration.ofMillis(400)));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @ParameterizedTest(name = "{0} bytes, chunk {1}")
    @CsvSource({
        "0, 262144",
        "1, 262144",
        "2048, 262144",
        "262144, 262144",
        "262145, 262144",
        "1048576, 262144",
        // 175 leaves of 1 KiB: more than 174 links, so the balanced DAG gets a second level.
        "179200, 1024"
    })
    void nodeAndLocalStoreGiveTheSameCidAndTheBytesComeBack(int size, int chunk) {
        byte[] content = random(size, size);
        DagLayout layout = DagLayout.withChunkSize(chunk);
        KuboContentStore kubo =
                new KuboContentStore(KuboConfig.defaults(IPFS.apiUrl()).withLayout(layout));
        LocalContentStore local = new LocalContentStore(dir, 1 << 21, layout);

        Cid fromNode = kubo.put(content);
        Cid fromLocal = local.put(content);

        assertThat(fromNode).isEqualTo(fromLocal);
        assertThat(fromNode.codec()).isEqualTo(size <= chunk ? Cid.RAW : Cid.DAG_PB);
        assertThat(kubo.get(fromNode)).isEqualTo(content);
        assertThat(local.get(fromLocal)).isEqualTo(content);
    }

    /** A damaged leaf in the node's blockstore: add keeps it, replace drops every block of the DAG and adds again. */
    @Test
    void replaceRepairsADamagedBlockThatPutKeeps() throws Exception {
        DagLayout layout = DagLayout.withChunkSize(1024);
        KuboContentStore kubo =
                new KuboContentStore(KuboConfig.defaults(IPFS.apiUrl()).withLayout(layout));
        byte[] content = random(3000, 77);
        Cid root = kubo.put(content);
        assertThat(UnixFsDag.blockCids(content, layout)).hasSize(4).last().isEqualTo(root);
        byte[] leaf = java.util.Arrays.copyOfRange(content, 1024, 2048);
        Path block;
        try (var files = java.nio.file.Files.walk(IPFS.node().repo().resolve("blocks"))) {
            block = files.filter(java.nio.file.Files::isRegularFile)
                    .filter(f -> {
                        try {
                            return java.util.Arrays.equals(java.nio.file.Files.readAllBytes(f), leaf);
                        } catch (java.io.IOException e) {
                            return false;
                        }
                    })
                    .findFirst()
                    .orElseThrow();
        }
        byte[] damaged = leaf.clone();
        damaged[10] ^= 1;
        java.nio.file.Files.write(block, damaged);

        assertThatThrownBy(() -> kubo.get(root)).isInstanceOf(ContentIntegrityException.class);
        assertThat(kubo.put(content)).isEqualTo(root);
        assertThatThrownBy(() -> kubo.get(root))
                .as("add keeps the block it has")
                .isInstanceOf(ContentIntegrityException.class);

        assertThat(kubo.replace(content)).isEqualTo(root);
        assertThat(kubo.get(root)).isEqualTo(content);
        assertThat(kubo.isPinned(root)).isTrue();
    }

    @Test
    void pinUnpinAndHas() {
        KuboContentStore store = store();
        Cid cid = store.put("pin me".getBytes());
        assertThat(store.isPinned(cid)).isTrue();
        assertThat(store.has(cid)).isTrue();

        store.unpin(cid);
        assertThat(store.isPinned(cid)).isFalse();
        store.unpin(cid); // not pinned any more: a no-op, not an error

        store.pin(cid);
        assertThat(store.isPinned(cid)).isTrue();
    }

    @Test
    void contentTheNodeDoesNotHaveIsNotFound() {
        KuboContentStore store = store();
        Cid absent = Cid.ofBlock(Cid.RAW, ("absent " + System.nanoTime()).getBytes());
        assertThat(store.has(absent)).isFalse();
        assertThat(store.isPinned(absent)).isFalse();
        assertThatThrownBy(() -> store.get(absent))
                .isInstanceOf(ContentNotFoundException.class)
                .hasMessageContaining(absent.toString());
        assertThatThrownBy(() -> store.pin(absent)).isInstanceOf(ContentNotFoundException.class);
    }

    @Test
    void oversizeIsRefusedBeforeSendingAndWhileReading() {
        KuboContentStore small =
                new KuboContentStore(KuboConfig.defaults(IPFS.apiUrl()).withMaxContentBytes(1000));
        byte[] tooBig = random(1001, 7);
        assertThatThrownBy(() -> small.put(tooBig)).isInstanceOf(ContentTooLargeException.class);
        assertThat(store().has(UnixFsDag.rootCid(tooBig)))
                .as("nothing was sent")
                .isFalse();

        Cid big = store().put(random(5000, 8));
        assertThatThrownBy(() -> small.get(big))
                .isInstanceOf(ContentTooLargeException.class)
                .hasMessageContaining("1000");
    }

    @Test
    void nodeDownGivesAClearErrorAndTheStoreRecoversWhenItIsBack() {
        KuboContentStore store = store();
        byte[] content = "survives an outage".getBytes();
        Cid cid = store.put(content);

        IPFS.stop();
        try {
            assertThatThrownBy(() -> store.get(cid))
                    .isInstanceOf(ContentUnavailableException.class)
                    .hasMessageContaining(IPFS.apiUrl() + "/api/v0/cat")
                    .hasMessageContaining("3 attempt");
            assertThatThrownBy(() -> store.put("while down".getBytes()))
                    .isInstanceOf(ContentUnavailableException.class)
                    .hasMessageContaining(IPFS.apiUrl() + "/api/v0/add");
        } finally {
            IPFS.start();
        }

        assertThat(store.get(cid)).isEqualTo(content);
        assertThat(store.put("after the outage".getBytes())).isNotNull();
    }
}
