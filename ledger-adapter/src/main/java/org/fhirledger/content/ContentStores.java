package org.fhirledger.content;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Builds the configured {@link ContentStore} from flat settings (Spring properties, environment, a map). Keys and
 * defaults are listed in docs/content-store.md.
 */
public final class ContentStores {
    public static final String PREFIX = "fhirledger.content.";

    private ContentStores() {}

    public static ContentStore fromSettings(Map<String, String> settings, Path dataDir) {
        String kind = get(settings, "store", "local");
        long maxBytes = Long.parseLong(get(settings, "max-bytes", Long.toString(KuboConfig.DEFAULT_MAX_CONTENT_BYTES)));
        switch (kind) {
            case "local":
                Path dir = Path.of(
                        get(settings, "local.dir", dataDir.resolve("content").toString()));
                return new LocalContentStore(dir, maxBytes);
            case "kubo":
                KuboConfig defaults =
                        KuboConfig.defaults(URI.create(get(settings, "kubo.url", "http://127.0.0.1:5001")));
                return new KuboContentStore(new KuboConfig(
                        defaults.apiUrl(),
                        duration(settings, "kubo.connect-timeout", defaults.connectTimeout()),
                        duration(settings, "kubo.request-timeout", defaults.requestTimeout()),
                        duration(settings, "kubo.lookup-timeout", defaults.lookupTimeout()),
                        Integer.parseInt(get(settings, "kubo.max-attempts", Integer.toString(defaults.maxAttempts()))),
                        duration(settings, "kubo.initial-backoff", defaults.initialBackoff()),
                        duration(settings, "kubo.max-backoff", defaults.maxBackoff()),
                        maxBytes,
                        DagLayout.DEFAULT));
            default:
                throw new IllegalArgumentException(PREFIX + "store must be 'local' or 'kubo', not '" + kind + "'");
        }
    }

    private static String get(Map<String, String> settings, String key, String fallback) {
        String value = settings.get(PREFIX + key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static Duration duration(Map<String, String> settings, String key, Duration fallback) {
        String value = settings.get(PREFIX + key);
        return value == null || value.isBlank() ? fallback : Duration.parse(value.trim());
    }
}
