package org.fhirledger.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.testing.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded anvil (bin/run's flags, 1-second blocks) with the server's snapshots alone, no server: a round in
 * which only the node's own empty blocks were mined dumps nothing (a full dump of the whole history, mining paused,
 * two more blocks), and a round after a transaction takes the snapshot as before.
 */
class EmbeddedChainIdleTest {

    private Process anvil;
    private EmbeddedChain chain;

    @AfterEach
    void stop() throws Exception {
        if (chain != null) chain.close();
        if (anvil != null) {
            anvil.destroyForcibly();
            anvil.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void roundsWithOnlyEmptyBlocksTakeNoSnapshot() throws Exception {
        Path dir = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "idle-");
        Path state = dir.resolve("anvil-state.json");
        int port = FreePort.pick();
        anvil = EmbeddedChainCrashTest.startAnvilAsBinRunDoes(port, state);
        chain = new EmbeddedChain(
                "http://127.0.0.1:" + port,
                new EmbeddedChainProperties(state, Duration.ofHours(1), null, false),
                List.of());
        chain.start(); // the first snapshot
        long first = chain.durableBlock();
        FileTime written = Files.getLastModifiedTime(state);

        for (int i = 0; i < 3; i++) {
            awaitBlockAbove(port, EmbeddedChainCrashTest.blockNumber(port));
            chain.round();
        }
        assertThat(chain.durableBlock())
                .as("nothing new to make durable: no snapshot")
                .isEqualTo(first);
        assertThat(Files.getLastModifiedTime(state)).isEqualTo(written);
        assertThat(chain.health().getStatus().getCode()).isEqualTo("UP");

        rpc(
                port,
                "eth_sendTransaction",
                "[{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
                        + "\"to\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"value\":\"0x1\"}]");
        awaitBlockAbove(port, EmbeddedChainCrashTest.blockNumber(port));
        chain.round();
        assertThat(chain.durableBlock()).as("a transaction was mined: snapshot").isGreaterThan(first);
        assertThat(Files.getLastModifiedTime(state)).isNotEqualTo(written);
    }

    private static void awaitBlockAbove(int port, long block) {
        PipelineServer.await(
                () -> {
                    try {
                        return EmbeddedChainCrashTest.blockNumber(port) > block;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                },
                Duration.ofSeconds(30),
                "a new block");
    }

    private static void rpc(int port, String method, String params) throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\""
                                        + method + "\",\"params\":" + params + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(body).doesNotContain("\"error\"");
    }
}
