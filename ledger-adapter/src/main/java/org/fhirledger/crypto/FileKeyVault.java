package org.fhirledger.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.files.OwnerOnlyFiles;

/**
 * The embedded {@link KeyVault}: each KEK is a Tink AES256_GCM keyset in {@code <dataDir>/keys/kek/<kekId>.json},
 * the current one named in {@code <dataDir>/keys/kek/current}. Everything is owner-only (rw------- / rwx------),
 * created so on first run and checked on every load. A KMS in production replaces this class, not its callers.
 */
public final class FileKeyVault implements KeyVault {
    private static final String CURRENT = "current";
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Path dir;
    private final Map<String, Aead> keks = new ConcurrentHashMap<>();

    private FileKeyVault(Path dir) {
        this.dir = dir;
    }

    /** Opens the vault under a data directory, creating the first KEK if there is none. */
    public static FileKeyVault open(Path dataDir) {
        Path dir = dataDir.resolve("keys").resolve("kek");
        FileKeyVault vault = new FileKeyVault(dir);
        try {
            OwnerOnlyFiles.createDirectory(dataDir.resolve("keys"));
            OwnerOnlyFiles.createDirectory(dir);
            if (!Files.exists(dir.resolve(CURRENT))) {
                vault.rotate();
            }
            vault.aead(vault.currentKekId());
        } catch (IOException e) {
            throw new KeyVaultException("cannot open key vault in " + dir + ": " + e.getMessage(), e);
        }
        return vault;
    }

    @Override
    public String currentKekId() {
        try {
            return new String(OwnerOnlyFiles.read(dir.resolve(CURRENT)), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new KeyVaultException("cannot read current KEK id in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a new KEK and makes it current; data keys must then be re-wrapped ({@link EnvelopeCipher#rewrapAll})
     * before the old KEK can be retired ({@link EnvelopeCipher#retireKek}).
     */
    public synchronized String rotate() {
        String kekId = "kek-" + HexFormat.of().formatHex(randomBytes(8));
        try {
            KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
            String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
            OwnerOnlyFiles.write(kekFile(kekId), json.getBytes(StandardCharsets.UTF_8));
            OwnerOnlyFiles.write(dir.resolve(CURRENT), kekId.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyVaultException("cannot create KEK in " + dir + ": " + e.getMessage(), e);
        }
        return kekId;
    }

    /**
     * Deletes a KEK. The current KEK cannot be retired. Not public: whether a data key still uses the KEK is known
     * only to the {@link EnvelopeCipher}, so callers go through {@link EnvelopeCipher#retireKek}, which checks it
     * under the cipher's lock.
     */
    synchronized void retire(String kekId) {
        if (kekId.equals(currentKekId())) {
            throw new KeyVaultException("refusing to retire the current KEK " + kekId);
        }
        try {
            keks.remove(kekId);
            if (!Files.deleteIfExists(kekFile(kekId))) {
                throw new KeyVaultException("no KEK " + kekId + " in " + dir);
            }
        } catch (IOException e) {
            throw new KeyVaultException("cannot retire KEK " + kekId + ": " + e.getMessage(), e);
        }
    }

    /** The KEKs on disk, current or not yet retired. */
    public List<String> kekIds() {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "kek-*.json")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                ids.add(name.substring(0, name.length() - ".json".length()));
            }
        } catch (IOException e) {
            throw new KeyVaultException("cannot list KEKs in " + dir + ": " + e.getMessage(), e);
        }
        return ids;
    }

    @Override
    public byte[] wrap(String kekId, byte[] plaintextKey, byte[] associatedData) {
        try {
            return aead(kekId).encrypt(plaintextKey, associatedData);
        } catch (GeneralSecurityException e) {
            throw new KeyVaultException("wrapping under KEK " + kekId + " failed", e);
        }
    }

    @Override
    public byte[] unwrap(String kekId, byte[] wrappedKey, byte[] associatedData) {
        try {
            return aead(kekId).decrypt(wrappedKey, associatedData);
        } catch (GeneralSecurityException e) {
            throw new KeyVaultException(
                    "unwrapping under KEK " + kekId
                            + " failed: wrapped key or its associated data does not authenticate",
                    e);
        }
    }

    private Aead aead(String kekId) {
        if (!kekId.matches("kek-[0-9a-f]{16}")) {
            throw new KeyVaultException("not a KEK id of this vault: '" + kekId + "'");
        }
        Aead cached = keks.get(kekId);
        if (cached != null) {
            return cached;
        }
        try {
            String json = new String(OwnerOnlyFiles.read(kekFile(kekId)), StandardCharsets.UTF_8);
            KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
            Aead aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
            keks.put(kekId, aead);
            return aead;
        } catch (NoSuchFileException e) {
            throw new KeyVaultException("KEK " + kekId + " does not exist in " + dir + " (retired?)", e);
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyVaultException("cannot load KEK " + kekId + " from " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path kekFile(String kekId) {
        return dir.resolve(kekId + ".json");
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
