package org.fhirledger.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.testing.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded anvil (bin/run's flags) killed after a transaction above the last snapshot and started again from it:
 * the listeners that record the lost entries again ask the node, which may still refuse for a moment. A loss whose
 * telling failed is told again at the next round, and no snapshot moves the durable block past it before; the same
 * for the loss noticed at start-up.
 */
class EmbeddedChainLossNoticeTest {

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
    void aLossWhoseTellingFailedIsToldAgainBeforeAnySnapshot() throws Exception {
        Path dir = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "loss-");
        Path state = dir.resolve("anvil-state.json");
        int port = FreePort.pick();
        List<Long> told = new CopyOnWriteArrayList<>();
        AtomicInteger refusals = new AtomicInteger();
        ChainDurability.LostBlocksListener listener = above -> {
            told.add(above);
            if (refusals.getAndDecrement() > 0) throw new LedgerUnavailableException("the node refuses for now", null);
        };
        anvil = EmbeddedChainCrashTest.startAnvilAsBinRunDoes(port, state);
        chain = new EmbeddedChain(
                "http://127.0.0.1:" + port,
                new EmbeddedChainProperties(state, Duration.ofHours(1), null, false),
                List.of(listener));
        chain.start();
        long durable = chain.durableBlock();

        transferAndAwaitItsBlock(port); // above the snapshot: the crash takes it
        restartAnvil(port, state);
        refusals.set(1);
        chain.round();
        assertThat(told).as("told once, and it failed").containsExactly(durable);
        assertThat(chain.durableBlock())
                .as("no snapshot past an unhandled loss")
                .isEqualTo(durable);
        chain.round();
        assertThat(told).as("told again at the next round").containsExactly(durable, durable);
        assertThat(chain.durableBlock()).as("then the snapshot").isGreaterThan(durable);
        chain.round();
        assertThat(told).as("once handled, not told again").hasSize(2);

        // a new process cannot know what its predecessor confirmed above the last snapshot: told at start-up, the same
        chain.close(); // its last snapshot
        chain = null;
        long second = Long.parseLong(Files.readString(state.resolveSibling(state.getFileName() + ".block"))
                .replaceAll(".*\"block\"\\s*:\\s*(\\d+).*", "$1")
                .trim());
        restartAnvil(port, state);
        told.clear();
        refusals.set(1);
        chain = new EmbeddedChain(
                "http://127.0.0.1:" + port,
                new EmbeddedChainProperties(state, Duration.ofHours(1), null, false),
                List.of(listener));
        chain.start();
        assertThat(told).containsExactly(second);
        assertThat(chain.durableBlock()).isEqualTo(second);
        chain.round();
        assertThat(told).containsExactly(second, second);
        assertThat(chain.durableBlock()).isGreaterThan(second);
        assertThat(chain.health().getStatus().getCode()).isEqualTo("UP");
    }

    private void restartAnvil(int port, Path state) throws Exception {
        anvil.destroyForcibly(); // SIGKILL: nothing above the last snapshot survives
        anvil.waitFor(10, TimeUnit.SECONDS);
        anvil = EmbeddedChainCrashTest.startAnvilAsBinRunDoes(port, state);
    }

    private static void transferAndAwaitItsBlock(int port) throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port))
                                .header("Content-Type", "application/json")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendTransaction\",\"params\":"
                                                        + "[{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
                                                        + "\"to\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"value\":\"0x1\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(body).doesNotContain("\"error\"");
        long now = EmbeddedChainCrashTest.blockNumber(port);
        PipelineServer.await(
                () -> {
                    try {
                        return EmbeddedChainCrashTest.blockNumber(port) > now;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                },
                Duration.ofSeconds(30),
                "the transfer's block");
    }
}
