package org.fhirledger.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envelope encryption of resource bodies. Each key id (a patient pseudonym, or {@link #SERVER_KEY_ID} for
 * resources outside any patient compartment) has its own Tink AES256_GCM data key, stored only wrapped by a KEK of
 * the {@link KeyVault}. The associated data is the resource version ("Patient/123/_history/2").
 *
 * <p>Envelope bytes: {@code 0x01} (format version) followed by Tink's AEAD output
 * ({@code 0x01 | 4-byte key id | 12-byte IV | ciphertext | 16-byte tag}).
 */
public final class EnvelopeCipher {
    /** Key id of the data key for resources outside any patient compartment. */
    public static final String SERVER_KEY_ID = "server";

    static final byte FORMAT_V1 = 0x01;
    private static final String WRAP_AD_PREFIX = "fhirledger/data-key/v1:";
    private static final Logger LOG = LoggerFactory.getLogger(EnvelopeCipher.class);

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KeyVault vault;
    private final DataKeyStore store;
    private final Clock clock;
    private final Map<String, Aead> dataKeys = new ConcurrentHashMap<>();

    public EnvelopeCipher(KeyVault vault, DataKeyStore store) {
        this(vault, store, Clock.systemUTC());
    }

    public EnvelopeCipher(KeyVault vault, DataKeyStore store, Clock clock) {
        this.vault = Objects.requireNonNull(vault, "vault");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Encrypts under the key id's data key, creating that key on first use. */
    public byte[] encrypt(String keyId, ResourceVersion resource, byte[] plaintext) {
        Aead aead = dataKey(keyId, true);
        try {
            byte[] sealed = aead.encrypt(plaintext, resource.associatedData());
            byte[] envelope = new byte[sealed.length + 1];
            envelope[0] = FORMAT_V1;
            System.arraycopy(sealed, 0, envelope, 1, sealed.length);
            return envelope;
        } catch (GeneralSecurityException e) {
            throw new CryptoException("encryption of " + resource + " failed", e);
        }
    }

    /**
     * @throws DecryptionException       tampered or swapped ciphertext, or another resource's associated data
     * @throws DataKeyDestroyedException the key id was crypto-shredded
     * @throws DataKeyNotFoundException  no data key exists for the key id
     */
    public byte[] decrypt(String keyId, ResourceVersion resource, byte[] envelope) {
        if (envelope.length < 1 || envelope[0] != FORMAT_V1) {
            throw new DecryptionException("envelope of " + resource + " has an unknown format", null);
        }
        Aead aead = dataKey(keyId, false);
        try {
            return aead.decrypt(Arrays.copyOfRange(envelope, 1, envelope.length), resource.associatedData());
        } catch (GeneralSecurityException e) {
            throw new DecryptionException(
                    "ciphertext does not authenticate as " + resource + " under data key '" + keyId
                            + "': tampered, swapped with another resource, or wrong associated data",
                    e);
        }
    }

    /**
     * The data key of {@code keyId} as a serialized Tink keyset, for releasing it to another member (sealed to that
     * member's key, never stored or logged in the clear). The caller zeroes the array when done.
     *
     * @throws DataKeyDestroyedException the key id was crypto-shredded
     * @throws DataKeyNotFoundException  no data key exists for the key id
     */
    public byte[] exportDataKey(String keyId) {
        WrappedDataKey stored = store.find(keyId).orElseThrow(() -> new DataKeyNotFoundException(keyId));
        if (stored.destroyed()) throw new DataKeyDestroyedException(keyId, stored.destroyedAt());
        return vault.unwrap(stored.kekId(), stored.wrapped(), wrapAd(keyId));
    }

    /**
     * Adds a new key to the key id's data keyset and makes it primary: versions encrypted from now on use it, earlier
     * envelopes still decrypt (the envelope names its key by Tink's key id prefix). A copy of the keyset released
     * before (to a member whose consent was then revoked) does not decrypt what is encrypted afterwards. Holds the
     * lock of key creation, {@link #shred} and {@link #rewrapAll}; an encryption already under way with the cached
     * key may still finish under the old one.
     *
     * @return the number of keys in the keyset now
     * @throws DataKeyDestroyedException the key id was crypto-shredded
     * @throws DataKeyNotFoundException  no data key exists for the key id
     */
    public synchronized int rotateDataKey(String keyId) {
        WrappedDataKey stored = store.find(keyId).orElseThrow(() -> new DataKeyNotFoundException(keyId));
        if (stored.destroyed()) throw new DataKeyDestroyedException(keyId, stored.destroyedAt());
        byte[] plain = vault.unwrap(stored.kekId(), stored.wrapped(), wrapAd(keyId));
        byte[] rotated = null;
        try {
            KeysetHandle current = TinkProtoKeysetFormat.parseKeyset(plain, InsecureSecretKeyAccess.get());
            KeysetHandle.Builder builder = KeysetHandle.newBuilder(current);
            builder.addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                    .withRandomId()
                    .makePrimary());
            KeysetHandle next = builder.build();
            rotated = TinkProtoKeysetFormat.serializeKeyset(next, InsecureSecretKeyAccess.get());
            String kekId = vault.currentKekId();
            store.save(stored.rewrapped(kekId, vault.wrap(kekId, rotated, wrapAd(keyId))));
            dataKeys.put(keyId, next.getPrimitive(RegistryConfiguration.get(), Aead.class));
            LOG.info("data key '{}' rotated", keyId);
            return next.size();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot rotate the data key of '" + keyId + "'", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
            if (rotated != null) Arrays.fill(rotated, (byte) 0);
        }
    }

    /**
     * Decrypts an envelope with a data key another member released (a keyset as {@link #exportDataKey} gives it):
     * the same format and associated data as {@link #decrypt}.
     *
     * @throws DecryptionException not an envelope of that resource version under that key, or altered
     */
    public static byte[] decryptWithReleasedKey(byte[] keyset, ResourceVersion resource, byte[] envelope) {
        if (envelope.length < 1 || envelope[0] != FORMAT_V1) {
            throw new DecryptionException("envelope of " + resource + " has an unknown format", null);
        }
        try {
            Aead aead = TinkProtoKeysetFormat.parseKeyset(keyset, InsecureSecretKeyAccess.get())
                    .getPrimitive(RegistryConfiguration.get(), Aead.class);
            return aead.decrypt(Arrays.copyOfRange(envelope, 1, envelope.length), resource.associatedData());
        } catch (GeneralSecurityException e) {
            throw new DecryptionException(
                    "ciphertext does not authenticate as " + resource + " under the released data key", e);
        }
    }

    /**
     * Crypto-shredding: replaces the wrapped data key with a tombstone, so everything encrypted under it is
     * unreadable wherever the ciphertext lives (IPFS replicas, backups of content). Irreversible.
     */
    public synchronized void shred(String keyId) {
        WrappedDataKey existing = store.find(keyId).orElseThrow(() -> new DataKeyNotFoundException(keyId));
        if (!existing.destroyed()) {
            store.save(existing.tombstone(clock.instant()));
        }
        dataKeys.remove(keyId);
        LOG.info("data key '{}' destroyed", keyId);
    }

    public boolean isShredded(String keyId) {
        return store.find(keyId).map(WrappedDataKey::destroyed).orElse(false);
    }

    /**
     * Re-wraps every live data key under the vault's current KEK, without touching any content. Afterwards KEKs
     * other than the current one can be retired with {@link #retireKek}. Returns how many keys were re-wrapped.
     *
     * <p>Holds the lock that {@link #shred} and key creation take, and reads each record under it: a key shredded
     * or created meanwhile is seen in its final state (a tombstone is never overwritten by a re-wrapped key, and a
     * key created after {@code rotate()} but wrapped under the old KEK is re-wrapped here). Encryption with cached
     * data keys goes on meanwhile; only first uses of a key id wait.
     */
    public synchronized int rewrapAll() {
        String target = vault.currentKekId();
        int count = 0;
        for (String keyId : store.keyIds()) {
            WrappedDataKey key = store.find(keyId).orElse(null);
            if (key == null || key.destroyed() || target.equals(key.kekId())) {
                continue;
            }
            byte[] ad = wrapAd(keyId);
            byte[] plain = vault.unwrap(key.kekId(), key.wrapped(), ad);
            try {
                store.save(key.rewrapped(target, vault.wrap(target, plain, ad)));
            } catch (DataKeyDestroyedException shreddedElsewhere) {
                // Shredded through another instance sharing the store: the store refused to revive it. Stays shredded.
                dataKeys.remove(keyId);
                LOG.info("data key '{}' was shredded during re-wrapping; left shredded", keyId);
                continue;
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
            count++;
        }
        LOG.info("re-wrapped {} data key(s) under KEK {}", count, target);
        return count;
    }

    /**
     * The only way to retire a KEK of a {@link FileKeyVault}: under the lock of {@link #rewrapAll}, {@link #shred}
     * and key creation, refuses while any live data key in the store is still wrapped under {@code kekId} (run
     * {@link #rewrapAll} first), then deletes the KEK. Retiring a KEK a key still needs would make that key, and
     * everything encrypted under it, unreadable after the next restart.
     *
     * <p>Assumes this cipher is the only writer of its {@link DataKeyStore} (one per server), as key creation
     * elsewhere is not covered by this lock. With a KMS, KEKs are retired in the KMS itself after
     * {@link #rewrapAll}; {@link #liveKeyIdsWrappedUnder} gives the same check.
     *
     * @throws KeyVaultException             the KEK is current, or still wraps a live data key
     * @throws UnsupportedOperationException the vault is not a {@link FileKeyVault}
     */
    public synchronized void retireKek(String kekId) {
        if (!(vault instanceof FileKeyVault fileVault)) {
            throw new UnsupportedOperationException("KEKs of "
                    + vault.getClass().getSimpleName() + " are retired in the KMS itself, after rewrapAll()");
        }
        if (kekId.equals(vault.currentKekId())) {
            throw new KeyVaultException("refusing to retire the current KEK " + kekId);
        }
        List<String> users = liveKeyIdsWrappedUnder(kekId);
        if (!users.isEmpty()) {
            throw new KeyVaultException("refusing to retire KEK " + kekId + ": " + users.size()
                    + " live data key(s) are still wrapped under it (e.g. '" + users.get(0)
                    + "'); run rewrapAll() first");
        }
        fileVault.retire(kekId);
        LOG.info("KEK {} retired", kekId);
    }

    /** Key ids whose live (not shredded) data key is wrapped under {@code kekId}. */
    public synchronized List<String> liveKeyIdsWrappedUnder(String kekId) {
        List<String> users = new ArrayList<>();
        for (String keyId : store.keyIds()) {
            store.find(keyId)
                    .filter(k -> !k.destroyed() && kekId.equals(k.kekId()))
                    .ifPresent(k -> users.add(keyId));
        }
        return users;
    }

    private Aead dataKey(String keyId, boolean create) {
        if (keyId == null || keyId.isEmpty()) {
            throw new IllegalArgumentException("key id must not be empty");
        }
        Aead cached = dataKeys.get(keyId);
        return cached != null ? cached : loadDataKey(keyId, create);
    }

    /**
     * Cache misses, {@link #shred}, {@link #rewrapAll} and {@link #retireKek} share one lock: a shredded key cannot
     * be cached again after shredding, and a new key (wrapped under the KEK current when it was made) is saved
     * either before a re-wrap reads the store, so it is re-wrapped, or after it, under the then current KEK.
     */
    private synchronized Aead loadDataKey(String keyId, boolean create) {
        Aead cached = dataKeys.get(keyId);
        if (cached != null) {
            return cached;
        }
        WrappedDataKey stored = store.find(keyId).orElse(null);
        if (stored == null) {
            if (!create) {
                throw new DataKeyNotFoundException(keyId);
            }
            stored = store.saveIfAbsent(newDataKey(keyId));
        }
        if (stored.destroyed()) {
            throw new DataKeyDestroyedException(keyId, stored.destroyedAt());
        }
        byte[] plain = vault.unwrap(stored.kekId(), stored.wrapped(), wrapAd(keyId));
        try {
            KeysetHandle handle = TinkProtoKeysetFormat.parseKeyset(plain, InsecureSecretKeyAccess.get());
            Aead aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
            dataKeys.put(keyId, aead);
            return aead;
        } catch (GeneralSecurityException e) {
            throw new CryptoException("data key of '" + keyId + "' is not a valid keyset", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private WrappedDataKey newDataKey(String keyId) {
        String kekId = vault.currentKekId();
        byte[] plain = null;
        try {
            KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
            plain = TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
            return new WrappedDataKey(keyId, kekId, vault.wrap(kekId, plain, wrapAd(keyId)), clock.instant(), null);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot generate data key for '" + keyId + "'", e);
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /** Binds a wrapped key to its key id, so swapping two patients' wrapped keys is detected on unwrap. */
    static byte[] wrapAd(String keyId) {
        return (WRAP_AD_PREFIX + keyId).getBytes(StandardCharsets.UTF_8);
    }
}
