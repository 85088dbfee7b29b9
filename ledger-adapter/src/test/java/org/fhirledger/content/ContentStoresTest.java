package org.fhirledger.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoresTest {
    @TempDir
    Path dataDir;

    @Test
    void defaultIsTheLocalStoreUnderTheDataDirectory() {
        ContentStore store = ContentStores.fromSettings(Map.of(), dataDir);
        assertThat(store).isInstanceOf(LocalContentStore.class);
        assertThat(store.maxContentBytes()).isEqualTo(64L * 1024 * 1024);
        store.put("x".getBytes());
        assertThat(Files.isDirectory(dataDir.resolve("content/objects"))).isTrue();
    }

    @Test
    void kuboSettingsAreApplied() {
        KuboContentStore store = (KuboContentStore) ContentStores.fromSettings(
                Map.of(
                        "fhirledger.content.store", "kubo",
                        "fhirledger.content.kubo.url", "http://ipfs.example:5001/",
                        "fhirledger.content.kubo.max-attempts", "7",
                        "fhirledger.content.kubo.lookup-timeout", "PT3S",
                        "fhirledger.content.max-bytes", "1024"),
                dataDir);
        assertThat(store.config().apiUrl()).hasToString("http://ipfs.example:5001");
        assertThat(store.config().maxAttempts()).isEqualTo(7);
        assertThat(store.config().lookupTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(store.maxContentBytes()).isEqualTo(1024);
    }

    @Test
    void anUnknownStoreKindIsRejected() {
        assertThatThrownBy(() -> ContentStores.fromSettings(Map.of("fhirledger.content.store", "s3"), dataDir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("s3");
    }
}
