package org.fhirledger.ledger.web3j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A misbehaving node for negative tests: a loopback JSON-RPC endpoint that forwards to a real anvil unless a rule
 * answers instead (HTTP 503 as from an overloaded proxy, a non-revert JSON-RPC error, a log-range cap as Besu's
 * --rpc-max-logs-range, a node that lags behind). Only the faults are fake; every answer that is not a fault
 * comes from anvil.
 */
final class FaultyNode implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Decides about one request: a reply, or null to forward it to anvil. */
    interface Rule {
        Reply apply(String method, JsonNode request) throws Exception;
    }

    record Reply(int status, String body) {
        static Reply http(int status) {
            return new Reply(status, "Service Unavailable");
        }

        static Reply rpcError(JsonNode request, int code, String message) {
            ObjectNode r = JSON.createObjectNode().put("jsonrpc", "2.0");
            r.set("id", request.get("id"));
            r.putObject("error").put("code", code).put("message", message);
            return new Reply(200, r.toString());
        }

        static Reply nullResult(JsonNode request) {
            ObjectNode r = JSON.createObjectNode().put("jsonrpc", "2.0");
            r.set("id", request.get("id"));
            r.putNull("result");
            return new Reply(200, r.toString());
        }
    }

    private final String upstream;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    FaultyNode(String upstreamUrl) throws IOException {
        this.upstream = upstreamUrl;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "faulty-node");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void add(Rule rule) {
        rules.add(rule);
    }

    void clear() {
        rules.clear();
    }

    /** How many requests of this method arrived (answered by a rule or forwarded). */
    int calls(String method) {
        AtomicInteger n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    /** The first {@code times} calls of the method get this reply, later ones go to anvil. */
    void failFirst(String method, int times, java.util.function.Function<JsonNode, Reply> reply) {
        AtomicInteger left = new AtomicInteger(times);
        add((m, req) -> m.equals(method) && left.getAndDecrement() > 0 ? reply.apply(req) : null);
    }

    /** eth_getLogs over more than {@code maxRange} blocks fails, as on Besu with --rpc-max-logs-range. */
    void capLogsRange(long maxRange) {
        add((m, req) -> {
            if (!m.equals("eth_getLogs")) return null;
            JsonNode filter = req.path("params").path(0);
            long latest = blockNumber();
            long from = block(filter.path("fromBlock").asText("latest"), latest);
            long to = block(filter.path("toBlock").asText("latest"), latest);
            return to - from + 1 > maxRange
                    ? Reply.rpcError(req, -32005, "Requested range exceeds maximum RPC range limit")
                    : null;
        });
    }

    long blockNumber() throws Exception {
        JsonNode r = forward("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}");
        return Long.decode(r.get("result").asText());
    }

    private static long block(String tag, long latest) {
        return tag.startsWith("0x") ? Long.decode(tag) : latest;
    }

    private JsonNode forward(String body) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(upstream))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            JsonNode req = JSON.readTree(body);
            String method = req.path("method").asText();
            calls.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
            Reply reply = null;
            for (Rule rule : rules) {
                reply = rule.apply(method, req);
                if (reply != null) break;
            }
            if (reply == null) reply = new Reply(200, forward(body).toString());
            byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(reply.status(), out.length);
            ex.getResponseBody().write(out);
        } catch (Exception e) {
            ex.sendResponseHeaders(500, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
