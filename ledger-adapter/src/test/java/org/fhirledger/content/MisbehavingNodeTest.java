package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fake Kubo RPC endpoint on loopback that lies or fails on purpose: the scenario under test is a misbehaving
 * node, which a real node cannot be made to be.
 */
class MisbehavingNodeTest {
    private HttpServer server;
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    @BeforeEach
    void startFake() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v0/", exchange -> {
            calls.incrementAndGet();
            String path = exchange.getRequestURI().getPath().substring("/api/v0/".length());
            exchange.getRequestBody().readAllBytes();
            Handler handler = handlers.get(path);
            if (handler == null) {
                respond(exchange, 404, "{\"Message\":\"no such endpoint\"}".getBytes());
            } else {
                handler.handle(exchange);
            }
        });
        server.start();
    }

    @AfterEach
    void stopFake() {
        server.stop(0);
    }

    private KuboContentStore store(long limit) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new KuboContentStore(KuboConfig.defaults(url)
                .withMaxContentBytes(limit)
                .withRetries(3, Duration.ofMillis(10), Duration.ofMillis(20)));
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void substitutedBytesForARealCidAreDetected() {
        byte[] real = "real ciphertext".getBytes(StandardCharsets.UTF_8);
        Cid cid = UnixFsDag.rootCid(real);
        handlers.put("cat", ex -> respond(ex, 200, "substituted bytes".getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> store(1 << 20).get(cid))
                .isInstanceOf(ContentIntegrityException.class)
                .hasMessageContaining(cid.toString())
                .satisfies(e -> assertThat(((ContentIntegrityException) e).actual())
                        .isEqualTo(UnixFsDag.rootCid("substituted bytes".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void substitutedMultiChunkContentIsDetected() {
        byte[] real = new byte[600_000];
        Cid cid = UnixFsDag.rootCid(real);
        byte[] other = real.clone();
        other[599_999] = 1;
        handlers.put("cat", ex -> respond(ex, 200, other));
        assertThatThrownBy(() -> store(1 << 20).get(cid)).isInstanceOf(ContentIntegrityException.class);
    }

    @Test
    void aNodeAnnouncingAnotherCidOnAddIsDetected() {
        String otherCid = UnixFsDag.rootCid("something else".getBytes()).toBase58();
        handlers.put(
                "add",
                ex -> respond(
                        ex, 200, ("{\"Name\":\"blob\",\"Hash\":\"" + otherCid + "\",\"Size\":\"3\"}\n").getBytes()));
        assertThatThrownBy(() -> store(1 << 20).put("abc".getBytes()))
                .isInstanceOf(ContentIntegrityException.class)
                .hasMessageContaining("/api/v0/add");
    }

    @Test
    void anAddAnswerInBase58IsAcceptedWhenItMatches() {
        byte[] content = "abc".getBytes();
        String cid = UnixFsDag.rootCid(content).toBase58();
        handlers.put("add", ex -> respond(ex, 200, ("{\"Name\":\"blob\",\"Hash\":\"" + cid + "\"}\n").getBytes()));
        assertThat(store(1 << 20).put(content).toString()).startsWith("bafkrei");
    }

    @Test
    void transientErrorsAreRetriedThenSucceed() {
        byte[] content = "eventually".getBytes();
        AtomicInteger attempts = new AtomicInteger();
        handlers.put("cat", ex -> {
            if (attempts.incrementAndGet() < 3) {
                respond(ex, 503, new byte[0]);
            } else {
                respond(ex, 200, content);
            }
        });
        assertThat(store(1 << 20).get(UnixFsDag.rootCid(content))).isEqualTo(content);
        assertThat(attempts).hasValue(3);
    }

    @Test
    void persistentServiceUnavailableGivesUpAfterMaxAttempts() {
        handlers.put("cat", ex -> respond(ex, 503, new byte[0]));
        Cid cid = UnixFsDag.rootCid("x".getBytes());
        assertThatThrownBy(() -> store(1 << 20).get(cid))
                .isInstanceOf(ContentUnavailableException.class)
                .hasMessageContaining("/api/v0/cat")
                .hasMessageContaining("HTTP 503");
        assertThat(calls).hasValue(3);
    }

    @Test
    void aNodeStreamingMoreThanTheLimitIsCutOff() {
        handlers.put("cat", ex -> respond(ex, 200, new byte[10_000]));
        assertThatThrownBy(() -> store(4096).get(UnixFsDag.rootCid(new byte[10_000])))
                .isInstanceOf(ContentTooLargeException.class);
    }

    @Test
    void anErrorAnswerIsReportedWithTheNodesMessage() {
        handlers.put(
                "pin/add",
                ex -> respond(ex, 500, "{\"Message\":\"pinning refused\",\"Code\":0,\"Type\":\"error\"}".getBytes()));
        assertThatThrownBy(() -> store(1 << 20).pin(UnixFsDag.rootCid("y".getBytes())))
                .isInstanceOf(ContentStoreException.class)
                .hasMessageContaining("/api/v0/pin/add")
                .hasMessageContaining("pinning refused");
    }
}
