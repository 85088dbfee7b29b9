package org.fhirledger.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.fhirledger.testing.Racer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deterministic interleavings of key creation, shredding, rotation, re-wrapping and KEK retirement. The seam is the
 * {@link DataKeyStore}: a wrapper around the real {@link FileDataKeyStore} runs the competing operation on another
 * thread at the exact point between a read and a write, and lets the first thread go on as soon as the other one
 * has either finished or is blocked (waiting for the cipher's lock).
 */
class KeyRotationRaceTest {
    private static final ResourceVersion V1 = ResourceVersion.parse("Patient/1/_history/1");
    private static final byte[] BODY = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dataDir;

    /** Delegates to the real store; runs {@code hook} once when the named thread reaches the given point. */
    private static final class HookedStore implements DataKeyStore {
        final FileDataKeyStore real;
        volatile String thread = "";
        volatile Consumer<String> afterFind = k -> {};
        volatile Consumer<WrappedDataKey> beforeSaveIfAbsent = k -> {};
        final AtomicBoolean liveOverTombstoneAttempted = new AtomicBoolean();

        HookedStore(FileDataKeyStore real) {
            this.real = real;
        }

        private boolean hooked() {
            return Thread.currentThread().getName().equals(thread);
        }

        @Override
        public Optional<WrappedDataKey> find(String keyId) {
            Optional<WrappedDataKey> found = real.find(keyId);
            if (hooked()) {
                afterFind.accept(keyId);
            }
            return found;
        }

        @Override
        public void save(WrappedDataKey key) {
            if (!key.destroyed()
                    && real.find(key.keyId()).map(WrappedDataKey::destroyed).orElse(false)) {
                liveOverTombstoneAttempted.set(true);
            }
            real.save(key);
        }

        @Override
        public WrappedDataKey saveIfAbsent(WrappedDataKey key) {
            if (hooked()) {
                beforeSaveIfAbsent.accept(key);
            }
            return real.saveIfAbsent(key);
        }

        @Override
        public List<String> keyIds() {
            return real.keyIds();
        }
    }

    private EnvelopeCipher restarted() {
        return new EnvelopeCipher(FileKeyVault.open(dataDir), new FileDataKeyStore(dataDir));
    }

    @Test
    void aShredDuringRewrapStaysShreddedAfterARestart() throws Exception {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        HookedStore store = new HookedStore(new FileDataKeyStore(dataDir));
        EnvelopeCipher cipher = new EnvelopeCipher(vault, store);
        byte[] p1 = cipher.encrypt("p1", V1, BODY);
        byte[] p2 = cipher.encrypt("p2", V1, BODY);
        vault.rotate();

        AtomicReference<Throwable> shredFailure = new AtomicReference<>();
        AtomicReference<Thread> shredder = new AtomicReference<>();
        store.thread = "rewrap";
        store.afterFind = keyId -> {
            // rewrapAll holds p1's live record: the administrator shreds p1 right now.
            if (keyId.equals("p1") && shredder.get() == null) {
                shredder.set(Racer.runUntilDoneOrBlocked("shred", () -> cipher.shred("p1"), shredFailure));
            }
        };
        AtomicReference<Throwable> rewrapFailure = new AtomicReference<>();
        Thread rewrap = new Thread(
                () -> {
                    try {
                        cipher.rewrapAll();
                    } catch (Throwable e) {
                        rewrapFailure.set(e);
                    }
                },
                "rewrap");
        rewrap.start();
        rewrap.join();
        assertThat(shredder.get()).as("the hook ran").isNotNull();
        shredder.get().join();
        assertThat(rewrapFailure.get()).isNull();
        assertThat(shredFailure.get()).isNull();

        assertThat(store.liveOverTombstoneAttempted)
                .as("rewrap never wrote a live key over the tombstone")
                .isFalse();
        assertThat(cipher.isShredded("p1")).isTrue();
        assertThatThrownBy(() -> cipher.decrypt("p1", V1, p1)).isInstanceOf(DataKeyDestroyedException.class);
        assertThatThrownBy(() -> restarted().decrypt("p1", V1, p1))
                .as("after a restart")
                .isInstanceOf(DataKeyDestroyedException.class);
        assertThat(restarted().decrypt("p2", V1, p2)).isEqualTo(BODY);
    }

    @Test
    void theStoreRefusesToReplaceATombstoneWithALiveKey() {
        FileDataKeyStore store = new FileDataKeyStore(dataDir);
        EnvelopeCipher cipher = new EnvelopeCipher(FileKeyVault.open(dataDir), store);
        byte[] p1 = cipher.encrypt("p1", V1, BODY);
        WrappedDataKey live = store.find("p1").orElseThrow();
        cipher.shred("p1");

        // e.g. a second instance that read the live record before the shred and writes it back afterwards
        assertThatThrownBy(() -> store.save(live))
                .isInstanceOf(DataKeyDestroyedException.class)
                .hasMessageContaining("p1");
        assertThatThrownBy(() -> store.save(live.rewrapped(live.kekId(), live.wrapped())))
                .isInstanceOf(DataKeyDestroyedException.class);
        assertThat(store.find("p1").orElseThrow().destroyed()).isTrue();
        assertThatThrownBy(() -> restarted().decrypt("p1", V1, p1)).isInstanceOf(DataKeyDestroyedException.class);
        store.save(store.find("p1").orElseThrow()); // a tombstone may be written again
    }

    @Test
    void aRewrapRacingAShredInAnotherInstanceLeavesTheKeyShredded() {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        HookedStore store = new HookedStore(new FileDataKeyStore(dataDir));
        EnvelopeCipher admin = new EnvelopeCipher(vault, store);
        EnvelopeCipher other = new EnvelopeCipher(vault, new FileDataKeyStore(dataDir)); // its own lock
        byte[] p1 = admin.encrypt("p1", V1, BODY);
        vault.rotate();
        store.thread = Thread.currentThread().getName();
        store.afterFind = keyId -> {
            if (keyId.equals("p1") && !other.isShredded("p1")) {
                other.shred("p1");
            }
        };

        assertThat(admin.rewrapAll()).as("p1 is skipped, not revived").isZero();
        assertThatThrownBy(() -> restarted().decrypt("p1", V1, p1)).isInstanceOf(DataKeyDestroyedException.class);
    }

    @Test
    void aKeyCreatedBetweenRotateAndRewrapIsRewrappedAndTheOldKekRetiresSafely() throws Exception {
        FileKeyVault vault = FileKeyVault.open(dataDir);
        HookedStore store = new HookedStore(new FileDataKeyStore(dataDir));
        EnvelopeCipher cipher = new EnvelopeCipher(vault, store);
        byte[] existing = cipher.encrypt("p-old", V1, BODY);
        String oldKek = vault.currentKekId();

        AtomicReference<Throwable> adminFailure = new AtomicReference<>();
        AtomicReference<Thread> admin = new AtomicReference<>();
        AtomicReference<String> newKek = new AtomicReference<>();
        store.thread = "writer";
        store.beforeSaveIfAbsent = key -> {
            // The new key is wrapped under the old KEK but not saved yet: the administrator rotates and re-wraps.
            assertThat(key.kekId()).isEqualTo(oldKek);
            admin.set(Racer.runUntilDoneOrBlocked(
                    "admin",
                    () -> {
                        newKek.set(vault.rotate());
                        cipher.rewrapAll();
                    },
                    adminFailure));
        };
        AtomicReference<byte[]> created = new AtomicReference<>();
        Thread writer = new Thread(() -> created.set(cipher.encrypt("p-new", V1, BODY)), "writer");
        writer.start();
        writer.join();
        admin.get().join();
        assertThat(adminFailure.get()).isNull();
        assertThat(created.get()).isNotNull();

        for (String keyId : store.keyIds()) {
            assertThat(store.find(keyId).orElseThrow().kekId()).as(keyId).isEqualTo(newKek.get());
        }
        cipher.retireKek(oldKek);
        assertThat(vault.kekIds()).containsExactly(newKek.get());

        EnvelopeCipher afterRestart = restarted();
        assertThat(afterRestart.decrypt("p-old", V1, existing)).isEqualTo(BODY);
        assertThat(afterRestart.decrypt("p-new", V1, created.get())).isEqualTo(BODY);
    }
}
