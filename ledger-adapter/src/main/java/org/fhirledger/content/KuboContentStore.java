package org.fhirledger.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.fhirledger.retry.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ContentStore} over the Kubo RPC API ({@code /api/v0}), which Kubo, IPFS Cluster's proxy and js-ipfs all
 * speak. The CID of every put is computed locally first and compared with the node's answer, and every get is
 * verified, so a node can lose data but cannot substitute it.
 */
public final class KuboContentStore implements ContentStore {
    private static final Logger LOG = LoggerFactory.getLogger(KuboContentStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ERROR_BODY_LIMIT = 4096;

    private final KuboConfig config;
    private final HttpClient http;
    private final SecureRandom random = new SecureRandom();

    public KuboContentStore(KuboConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    public KuboConfig config() {
        return config;
    }

    @Override
    public Cid put(byte[] content) {
        if (content.length > config.maxContentBytes()) {
            throw new ContentTooLargeException("content", content.length, config.maxContentBytes());
        }
        Cid expected = UnixFsDag.rootCid(content, config.layout());
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        String boundary = "fhirledger-" + HexFormat.of().formatHex(nonce);
        byte[] body = multipart(boundary, content);
        String query = "cid-version=1&raw-leaves=true&pin=true&chunker=size-"
                + config.layout().chunkSize();
        Call call = new Call(
                "add",
                query,
                HttpRequest.BodyPublishers.ofByteArray(body),
                "multipart/form-data; boundary=" + boundary);
        Cid announced;
        try (Reply reply = execute(call)) {
            if (reply.status != 200) {
                throw failure(call, reply);
            }
            announced = Cid.parse(lastJsonLine(call, reply).path("Hash").asText());
        } catch (IllegalArgumentException e) {
            throw new ContentStoreException(call.endpoint() + " answered an unparsable CID: " + e.getMessage(), e);
        }
        if (!announced.toV1().equals(expected)) {
            throw new ContentIntegrityException("IPFS node " + call.endpoint() + " (on add)", expected, announced);
        }
        LOG.debug("added {} ({} bytes) at {}", expected, content.length, config.apiUrl());
        return expected;
    }

    @Override
    public byte[] get(Cid cid) {
        Call call =
                new Call("cat", "arg=" + cid + "&timeout=" + nodeTimeout(), HttpRequest.BodyPublishers.noBody(), null);
        byte[] content;
        try (Reply reply = execute(call)) {
            if (reply.status != 200) {
                throw failure(call, reply, cid);
            }
            content = readLimited(call, cid, reply.body);
        }
        ContentVerifier.verify("IPFS node " + call.endpoint(), cid, content, config.layout());
        return content;
    }

    /**
     * An IPFS node's add skips blocks its blockstore has (damaged or not): the content's pin and every block of its
     * DAG are removed first ({@code block/rm} refuses pinned blocks), then it is added again.
     */
    @Override
    public Cid replace(byte[] content) {
        if (content.length > config.maxContentBytes()) {
            throw new ContentTooLargeException("content", content.length, config.maxContentBytes());
        }
        List<Cid> blocks = UnixFsDag.blockCids(content, config.layout());
        unpin(blocks.get(blocks.size() - 1));
        for (Cid block : blocks) {
            Call call = new Call("block/rm", "arg=" + block + "&force=true", HttpRequest.BodyPublishers.noBody(), null);
            try (Reply reply = execute(call)) {
                if (reply.status != 200) throw failure(call, reply);
            }
        }
        return put(content);
    }

    @Override
    public void pin(Cid cid) {
        Call call = new Call(
                "pin/add", "arg=" + cid + "&timeout=" + nodeTimeout(), HttpRequest.BodyPublishers.noBody(), null);
        try (Reply reply = execute(call)) {
            if (reply.status != 200) {
                throw failure(call, reply, cid);
            }
        }
    }

    @Override
    public void unpin(Cid cid) {
        Call call = new Call("pin/rm", "arg=" + cid, HttpRequest.BodyPublishers.noBody(), null);
        try (Reply reply = execute(call)) {
            if (reply.status != 200) {
                String message = errorMessage(reply);
                if (message.contains("not pinned")) {
                    return;
                }
                throw new ContentStoreException(call.endpoint() + " answered HTTP " + reply.status + ": " + message);
            }
        }
    }

    @Override
    public boolean has(Cid cid) {
        Call call = new Call(
                "block/stat",
                "arg=" + cid + "&offline=true&timeout=" + nodeTimeout(),
                HttpRequest.BodyPublishers.noBody(),
                null);
        try (Reply reply = execute(call)) {
            return reply.status == 200;
        }
    }

    @Override
    public boolean isPinned(Cid cid) {
        Call call = new Call("pin/ls", "arg=" + cid + "&type=recursive", HttpRequest.BodyPublishers.noBody(), null);
        try (Reply reply = execute(call)) {
            if (reply.status == 200) {
                // Kubo answers base32 keys, js-ipfs base58btc: compare parsed CIDs.
                var names = lastJsonLine(call, reply).path("Keys").fieldNames();
                while (names.hasNext()) {
                    if (Cid.parse(names.next()).toV1().equals(cid.toV1())) {
                        return true;
                    }
                }
                return false;
            }
            String message = errorMessage(reply);
            if (message.contains("not pinned")) {
                return false;
            }
            throw new ContentStoreException(call.endpoint() + " answered HTTP " + reply.status + ": " + message);
        }
    }

    @Override
    public long maxContentBytes() {
        return config.maxContentBytes();
    }

    private String nodeTimeout() {
        return config.lookupTimeout().toMillis() + "ms";
    }

    /** One RPC call; every Kubo RPC endpoint takes POST. */
    private record Call(String path, String query, HttpRequest.BodyPublisher body, String contentType) {
        String endpoint() {
            return "/api/v0/" + path;
        }
    }

    /** A response whose body stream must be closed. */
    private record Reply(int status, InputStream body) implements AutoCloseable {
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private Reply execute(Call call) {
        URI uri = URI.create(config.apiUrl() + call.endpoint() + "?" + call.query());
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(uri).timeout(config.requestTimeout()).POST(call.body());
        if (call.contentType() != null) {
            builder.header("Content-Type", call.contentType());
        }
        HttpRequest request = builder.build();
        Backoff backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        Exception last = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                int status = response.statusCode();
                if (status == 502 || status == 503 || status == 504) {
                    response.body().close();
                    last = new IOException("HTTP " + status);
                } else {
                    return new Reply(status, response.body());
                }
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContentStoreException("interrupted while calling " + config.apiUrl() + call.endpoint(), e);
            }
            if (attempt < config.maxAttempts()) {
                LOG.debug(
                        "attempt {} of {} to {} failed: {}",
                        attempt,
                        config.maxAttempts(),
                        call.endpoint(),
                        describe(last));
                sleep(Duration.ofMillis(backoff.nextDelayMillis()));
            }
        }
        throw new ContentUnavailableException(
                "IPFS node unavailable at " + config.apiUrl() + call.endpoint() + " after " + config.maxAttempts()
                        + " attempt(s): " + describe(last),
                last);
    }

    private static String describe(Exception e) {
        return e == null
                ? "unknown"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContentStoreException("interrupted during retry backoff", e);
        }
    }

    private byte[] readLimited(Call call, Cid cid, InputStream in) {
        long limit = config.maxContentBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                if (out.size() + (long) n > limit) {
                    throw new ContentTooLargeException("content " + cid + " from " + call.endpoint(), -1, limit);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ContentUnavailableException(
                    "reading " + cid + " from " + config.apiUrl() + call.endpoint() + " failed: " + describe(e), e);
        }
        return out.toByteArray();
    }

    private ContentStoreException failure(Call call, Reply reply) {
        return new ContentStoreException(
                config.apiUrl() + call.endpoint() + " answered HTTP " + reply.status + ": " + errorMessage(reply));
    }

    /** Kubo answers 500 with a JSON message for a CID it cannot find; those become not-found. */
    private ContentStoreException failure(Call call, Reply reply, Cid cid) {
        String message = errorMessage(reply);
        String lower = message.toLowerCase();
        if (reply.status == 500
                && (lower.contains("not found")
                        || lower.contains("timed out")
                        || lower.contains("timeout")
                        || lower.contains("deadline exceeded"))) {
            return new ContentNotFoundException(cid, config.apiUrl() + call.endpoint() + " answered: " + message);
        }
        return new ContentStoreException(
                config.apiUrl() + call.endpoint() + " answered HTTP " + reply.status + ": " + message);
    }

    private static String errorMessage(Reply reply) {
        try {
            byte[] bytes = reply.body.readNBytes(ERROR_BODY_LIMIT);
            String text = new String(bytes, StandardCharsets.UTF_8).trim();
            try {
                JsonNode node = JSON.readTree(text);
                if (node != null && node.hasNonNull("Message")) {
                    return node.get("Message").asText();
                }
            } catch (IOException notJson) {
                // fall through to the raw text
            }
            return text.isEmpty() ? "(empty body)" : text;
        } catch (IOException e) {
            return "(body unreadable: " + e.getMessage() + ")";
        }
    }

    private JsonNode lastJsonLine(Call call, Reply reply) {
        try {
            String text = new String(reply.body.readNBytes(1 << 20), StandardCharsets.UTF_8).trim();
            String last = text.substring(text.lastIndexOf('\n') + 1);
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new ContentStoreException(
                    config.apiUrl() + call.endpoint() + " answered unreadable JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] multipart(String boundary, byte[] content) {
        byte[] head = ("--" + boundary + "\r\n"
                        + "Content-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + content.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(content, 0, body, head.length, content.length);
        System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
        return body;
    }
}
