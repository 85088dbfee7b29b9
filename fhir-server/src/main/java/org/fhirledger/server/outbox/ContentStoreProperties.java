package org.fhirledger.server.outbox;

import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.content.KuboConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where encrypted versions go, under {@code content-store.*}: the local content-addressed store under the data
 * directory (embedded default), or an IPFS node over the Kubo RPC API when {@code content-store.ipfs-api-url}
 * (environment: {@code IPFS_API_URL}) is set. Every key is documented in docs/configuration.md.
 *
 * @param ipfsApiUrl     Kubo RPC base URL (without /api/v0); empty: the local store
 * @param localDir       directory of the local store; empty: {@code ${data-dir}/content}
 * @param maxBytes       size limit of one stored envelope
 * @param requestTimeout whole-request timeout per attempt against the IPFS node
 * @param maxAttempts    attempts per call against the IPFS node for transient failures
 */
@ConfigurationProperties("content-store")
public record ContentStoreProperties(
        String ipfsApiUrl, Path localDir, Long maxBytes, Duration requestTimeout, Integer maxAttempts) {

    public ContentStoreProperties {
        ipfsApiUrl = ipfsApiUrl == null || ipfsApiUrl.isBlank() ? null : ipfsApiUrl.trim();
        maxBytes = maxBytes == null ? KuboConfig.DEFAULT_MAX_CONTENT_BYTES : maxBytes;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(30) : requestTimeout;
        maxAttempts = maxAttempts == null ? 2 : maxAttempts;
        if (ipfsApiUrl != null && !(ipfsApiUrl.startsWith("http://") || ipfsApiUrl.startsWith("https://"))) {
            throw new IllegalArgumentException("content-store.ipfs-api-url must be an http(s) URL, got " + ipfsApiUrl);
        }
        if (maxBytes < 1) throw new IllegalArgumentException("content-store.max-bytes must be positive");
        if (maxAttempts < 1) throw new IllegalArgumentException("content-store.max-attempts must be at least 1");
    }

    /** "ipfs" or "local": what the health indicator reports. */
    public String kind() {
        return ipfsApiUrl == null ? "local" : "ipfs";
    }

    /** Where, for the health indicator (a URL or a directory; no secret). */
    public String location(Path dataDir) {
        return ipfsApiUrl != null ? ipfsApiUrl : localDirOr(dataDir).toString();
    }

    /** The local store's directory. */
    public Path localDirOr(Path dataDir) {
        return localDir != null ? localDir : dataDir.resolve("content");
    }
}
