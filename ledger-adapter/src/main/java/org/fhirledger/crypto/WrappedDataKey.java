package org.fhirledger.crypto;

import java.time.Instant;
import java.util.Objects;

/**
 * A data key as stored: its Tink keyset encrypted under a KEK, or a tombstone once it was destroyed
 * (crypto-shredding), so a shredded key id is told apart from one that never existed and is never re-created.
 *
 * @param keyId       patient pseudonym, or {@link EnvelopeCipher#SERVER_KEY_ID}
 * @param kekId       KEK that wrapped it (null for a tombstone)
 * @param wrapped     wrapped keyset bytes (empty for a tombstone)
 * @param createdAt   when the data key was generated
 * @param destroyedAt when it was shredded, or null
 */
public record WrappedDataKey(String keyId, String kekId, byte[] wrapped, Instant createdAt, Instant destroyedAt) {
    public WrappedDataKey {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(createdAt, "createdAt");
        wrapped = wrapped == null ? new byte[0] : wrapped.clone();
        if (destroyedAt == null && (kekId == null || wrapped.length == 0)) {
            throw new IllegalArgumentException("a live data key needs a KEK id and wrapped bytes");
        }
    }

    public boolean destroyed() {
        return destroyedAt != null;
    }

    @Override
    public byte[] wrapped() {
        return wrapped.clone();
    }

    /** The same data key re-wrapped under another KEK. */
    public WrappedDataKey rewrapped(String newKekId, byte[] newWrapped) {
        return new WrappedDataKey(keyId, newKekId, newWrapped, createdAt, null);
    }

    /** The tombstone that replaces this key: no key material survives. */
    public WrappedDataKey tombstone(Instant at) {
        return new WrappedDataKey(keyId, null, null, createdAt, at);
    }
}
