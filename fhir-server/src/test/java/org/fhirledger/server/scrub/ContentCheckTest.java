package org.fhirledger.server.scrub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.content.Cid;
import org.fhirledger.content.LocalContentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ContentCheck} on the local store with real files, and the scrub's settings. */
class ContentCheckTest {

    @TempDir
    Path dir;

    @Test
    void classifiesWhatTheStoreHoldsUnderACid() throws Exception {
        LocalContentStore store = new LocalContentStore(dir, 1 << 20);
        ContentCheck check = new ContentCheck(store);
        byte[] bytes = "some ciphertext".getBytes(StandardCharsets.UTF_8);
        Cid cid = store.put(bytes);
        assertThat(check.of(cid)).isEqualTo(ContentCondition.INTACT);

        Path file = dir.resolve("objects")
                .resolve(cid.toString().substring(cid.toString().length() - 2))
                .resolve(cid.toString());
        byte[] flipped = bytes.clone();
        flipped[3] ^= 0x20;
        Files.write(file, flipped);
        assertThat(check.of(cid)).isEqualTo(ContentCondition.CORRUPTED);

        // the same bytes put again: same CID, the damaged file replaced
        assertThat(store.put(bytes)).isEqualTo(cid);
        assertThat(check.of(cid)).isEqualTo(ContentCondition.INTACT);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);

        Files.delete(file);
        assertThat(check.of(cid)).isEqualTo(ContentCondition.MISSING);
    }

    @Test
    void settingsDefaultToTenPerSecondWithRepairAndRefuseNonsense() {
        ContentScrubProperties d = new ContentScrubProperties(null, null, null, null);
        assertThat(d.enabled()).isTrue();
        assertThat(d.repair()).isTrue();
        assertThat(d.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(d.objectsPerInterval()).isEqualTo(10);
        assertThatThrownBy(() -> new ContentScrubProperties(true, Duration.ZERO, 10, true))
                .hasMessageContaining("content-scrub.interval");
        assertThatThrownBy(() -> new ContentScrubProperties(true, Duration.ofSeconds(1), 0, true))
                .hasMessageContaining("content-scrub.objects-per-interval");
    }

    @Test
    void aDisabledScrubDoesNotStart() {
        ContentScrubber s = new ContentScrubber(null, null, new ContentScrubProperties(false, null, null, null));
        s.start();
        assertThat(s.isRunning()).isFalse();
    }
}
