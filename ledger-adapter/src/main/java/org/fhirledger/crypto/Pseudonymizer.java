package org.fhirledger.crypto;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.prf.HmacPrfKey;
import com.google.crypto.tink.prf.HmacPrfParameters;
import com.google.crypto.tink.prf.PredefinedPrfParameters;
import com.google.crypto.tink.prf.PrfConfig;
import com.google.crypto.tink.prf.PrfSet;
import com.google.crypto.tink.util.SecretBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import org.fhirledger.files.OwnerOnlyFiles;

/**
 * Keyed pseudonyms for identities that go on chain: HMAC-SHA256(server secret, UTF-8 of "Patient/123"), 32 bytes.
 * Deterministic for one secret, so the server can find its records; unlinkable without the secret, so the chain
 * reveals no identity. Callers pass the canonical "Type/id" form.
 */
public final class Pseudonymizer {
    public static final int LENGTH = 32;
    static final String SECRET_FILE = "pseudonym-secret.json";

    static {
        try {
            PrfConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PrfSet prf;

    private Pseudonymizer(KeysetHandle handle) throws GeneralSecurityException {
        this.prf = handle.getPrimitive(RegistryConfiguration.get(), PrfSet.class);
    }

    /** From a raw secret of at least 16 bytes (e.g. fetched from a KMS or secret manager). */
    public static Pseudonymizer fromSecret(byte[] secret) {
        try {
            HmacPrfParameters parameters = HmacPrfParameters.builder()
                    .setKeySizeBytes(secret.length)
                    .setHashType(HmacPrfParameters.HashType.SHA256)
                    .build();
            HmacPrfKey key = HmacPrfKey.builder()
                    .setParameters(parameters)
                    .setKeyBytes(SecretBytes.copyFrom(secret, InsecureSecretKeyAccess.get()))
                    .build();
            return new Pseudonymizer(KeysetHandle.newBuilder()
                    .addEntry(KeysetHandle.importKey(key).withRandomId().makePrimary())
                    .build());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("pseudonym secret rejected (at least 16 bytes): " + e.getMessage(), e);
        }
    }

    /** From {@code <dataDir>/keys/pseudonym-secret.json} (owner-only), generated with 32 random bytes on first run. */
    public static Pseudonymizer fromDataDir(Path dataDir) {
        Path keys = dataDir.resolve("keys");
        Path file = keys.resolve(SECRET_FILE);
        try {
            OwnerOnlyFiles.createDirectory(keys);
            if (!Files.exists(file)) {
                KeysetHandle handle = KeysetHandle.generateNew(PredefinedPrfParameters.HMAC_SHA256_PRF);
                // Never replaces: two first starts racing must not end up with two secrets (unfindable records).
                OwnerOnlyFiles.createIfAbsent(
                        file,
                        TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get())
                                .getBytes(StandardCharsets.UTF_8));
            }
            String json = new String(OwnerOnlyFiles.read(file), StandardCharsets.UTF_8);
            return new Pseudonymizer(TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get()));
        } catch (OwnerOnlyFiles.NotOwnerOnlyException e) {
            throw new KeyVaultException(e.getMessage(), e);
        } catch (IOException | GeneralSecurityException e) {
            throw new CryptoException("cannot load pseudonym secret " + file + ": " + e.getMessage(), e);
        }
    }

    /** HMAC-SHA256 of the identity, e.g. {@code pseudonym("Patient/123")}. */
    public byte[] pseudonym(String identity) {
        if (identity == null || identity.isEmpty()) {
            throw new IllegalArgumentException("identity must not be empty");
        }
        return mac(identity.getBytes(StandardCharsets.UTF_8));
    }

    public String pseudonymHex(String identity) {
        return HexFormat.of().formatHex(pseudonym(identity));
    }

    /** The raw PRF, exposed to the package for the RFC 4231 test vectors. */
    byte[] mac(byte[] input) {
        try {
            return prf.computePrimary(input, LENGTH);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC computation failed", e);
        }
    }
}
