package org.fhirledger.content;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link KuboContentStore}.
 *
 * @param apiUrl          base URL of the Kubo RPC API, e.g. {@code http://127.0.0.1:5001} (without /api/v0)
 * @param connectTimeout  TCP connect timeout per attempt
 * @param requestTimeout  whole-request timeout per attempt
 * @param lookupTimeout   passed to the node as {@code timeout=} so a CID it cannot find locally is answered as
 *                        not found instead of the node searching the network until our request times out
 * @param maxAttempts     attempts per call for transient failures (connection errors, timeouts, 502/503/504)
 * @param initialBackoff  wait before the 2nd attempt; doubles each time up to {@code maxBackoff}
 * @param maxBackoff      upper bound of the wait between attempts
 * @param maxContentBytes content size limit, checked before sending and while reading
 * @param layout          chunking that the node is asked to use and that {@code get} verifies against
 */
public record KuboConfig(
        URI apiUrl,
        Duration connectTimeout,
        Duration requestTimeout,
        Duration lookupTimeout,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        long maxContentBytes,
        DagLayout layout) {
    public static final long DEFAULT_MAX_CONTENT_BYTES = 64L * 1024 * 1024;

    public KuboConfig {
        Objects.requireNonNull(apiUrl, "apiUrl");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (maxContentBytes < 0 || maxContentBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxContentBytes out of range: " + maxContentBytes);
        }
        if (layout.cidVersion() != 1) {
            throw new IllegalArgumentException("the store writes CIDv1 with raw leaves");
        }
        String url = apiUrl.toString();
        apiUrl = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    /** Defaults: 5 s connect, 60 s request, 10 s lookup, 4 attempts, 200 ms..2 s backoff, 64 MiB limit. */
    public static KuboConfig defaults(URI apiUrl) {
        return new KuboConfig(
                apiUrl,
                Duration.ofSeconds(5),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                4,
                Duration.ofMillis(200),
                Duration.ofSeconds(2),
                DEFAULT_MAX_CONTENT_BYTES,
                DagLayout.DEFAULT);
    }

    public KuboConfig withMaxContentBytes(long bytes) {
        return new KuboConfig(
                apiUrl,
                connectTimeout,
                requestTimeout,
                lookupTimeout,
                maxAttempts,
                initialBackoff,
                maxBackoff,
                bytes,
                layout);
    }

    public KuboConfig withRetries(int attempts, Duration initial, Duration max) {
        return new KuboConfig(
                apiUrl, connectTimeout, requestTimeout, lookupTimeout, attempts, initial, max, maxContentBytes, layout);
    }

    public KuboConfig withTimeouts(Duration connect, Duration request, Duration lookup) {
        return new KuboConfig(
                apiUrl, connect, request, lookup, maxAttempts, initialBackoff, maxBackoff, maxContentBytes, layout);
    }

    public KuboConfig withLayout(DagLayout newLayout) {
        return new KuboConfig(
                apiUrl,
                connectTimeout,
                requestTimeout,
                lookupTimeout,
                maxAttempts,
                initialBackoff,
                maxBackoff,
                maxContentBytes,
                newLayout);
    }
}
