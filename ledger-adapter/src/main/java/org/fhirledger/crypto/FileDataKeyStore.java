package org.fhirledger.crypto;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.fhirledger.files.OwnerOnlyFiles;

/**
 * {@link DataKeyStore} as one owner-only JSON file per key id under {@code <dataDir>/keys/data/}. File names are
 * the SHA-256 of the key id, so any key id string is a safe file name.
 */
public final class FileDataKeyStore implements DataKeyStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public FileDataKeyStore(Path dataDir) {
        this.dir = dataDir.resolve("keys").resolve("data");
        try {
            OwnerOnlyFiles.createDirectory(dataDir.resolve("keys"));
            OwnerOnlyFiles.createDirectory(dir);
        } catch (OwnerOnlyFiles.NotOwnerOnlyException e) {
            throw new KeyVaultException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CryptoException("cannot create data key directory " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<WrappedDataKey> find(String keyId) {
        try {
            return Optional.of(read(file(keyId)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (OwnerOnlyFiles.NotOwnerOnlyException e) {
            throw new KeyVaultException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CryptoException("cannot read data key of '" + keyId + "' in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void save(WrappedDataKey key) {
        if (!key.destroyed()) {
            // Crypto-shredding is irreversible: no writer (a re-wrap racing a shred, a stale copy) revives a key.
            Optional<WrappedDataKey> existing = find(key.keyId());
            if (existing.isPresent() && existing.get().destroyed()) {
                throw new DataKeyDestroyedException(key.keyId(), existing.get().destroyedAt());
            }
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("keyId", key.keyId());
        node.put("kekId", key.kekId());
        node.put("wrapped", Base64.getEncoder().encodeToString(key.wrapped()));
        node.put("createdAt", key.createdAt().toString());
        node.put(
                "destroyedAt",
                key.destroyedAt() == null ? null : key.destroyedAt().toString());
        try {
            OwnerOnlyFiles.write(file(key.keyId()), JSON.writeValueAsBytes(node));
        } catch (IOException e) {
            throw new CryptoException(
                    "cannot write data key of '" + key.keyId() + "' in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized WrappedDataKey saveIfAbsent(WrappedDataKey key) {
        Optional<WrappedDataKey> existing = find(key.keyId());
        if (existing.isPresent()) {
            return existing.get();
        }
        save(key);
        return key;
    }

    @Override
    public List<String> keyIds() {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path file : files) {
                ids.add(read(file).keyId());
            }
        } catch (OwnerOnlyFiles.NotOwnerOnlyException e) {
            throw new KeyVaultException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CryptoException("cannot list data keys in " + dir + ": " + e.getMessage(), e);
        }
        return ids;
    }

    private static WrappedDataKey read(Path file) throws IOException {
        var node = JSON.readTree(new String(OwnerOnlyFiles.read(file), StandardCharsets.UTF_8));
        String destroyed = node.path("destroyedAt").isNull()
                ? null
                : node.path("destroyedAt").asText(null);
        return new WrappedDataKey(
                node.path("keyId").asText(),
                node.path("kekId").isNull() ? null : node.path("kekId").asText(null),
                Base64.getDecoder().decode(node.path("wrapped").asText("")),
                Instant.parse(node.path("createdAt").asText()),
                destroyed == null ? null : Instant.parse(destroyed));
    }

    private Path file(String keyId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(keyId.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(digest) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JRE", e);
        }
    }
}
