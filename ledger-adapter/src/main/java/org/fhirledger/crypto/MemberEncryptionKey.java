package org.fhirledger.crypto;

import com.google.crypto.tink.HybridDecrypt;
import com.google.crypto.tink.HybridEncrypt;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.hybrid.HpkeParameters;
import com.google.crypto.tink.hybrid.HybridConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.fhirledger.files.OwnerOnlyFiles;

/**
 * A member's encryption key pair for data keys released to it (docs/exchange.md, custodian offline): Tink HPKE (RFC
 * 9180) DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, kept apart from the ledger (signing) key. The private
 * keyset is a Tink JSON keyset in an owner-only file; the public half is what the member publishes on chain.
 * {@link #seal} encrypts to a published public keyset; the context info binds a ciphertext to its use.
 */
public final class MemberEncryptionKey {

    static {
        try {
            HybridConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final HybridDecrypt decrypt;
    private final byte[] publicKeyset;

    private MemberEncryptionKey(KeysetHandle handle) throws GeneralSecurityException {
        this.decrypt = handle.getPrimitive(RegistryConfiguration.get(), HybridDecrypt.class);
        this.publicKeyset = TinkProtoKeysetFormat.serializeKeysetWithoutSecret(handle.getPublicKeysetHandle());
    }

    /** The parameters every member's key has (no Tink prefix: the ciphertext is plain RFC 9180 output). */
    static HpkeParameters parameters() throws GeneralSecurityException {
        return HpkeParameters.builder()
                .setKemId(HpkeParameters.KemId.DHKEM_X25519_HKDF_SHA256)
                .setKdfId(HpkeParameters.KdfId.HKDF_SHA256)
                .setAeadId(HpkeParameters.AeadId.AES_256_GCM)
                .setVariant(HpkeParameters.Variant.NO_PREFIX)
                .build();
    }

    /** A fresh key pair held in memory only (tests, and the file's first creation). */
    public static MemberEncryptionKey generate() {
        try {
            return new MemberEncryptionKey(KeysetHandle.generateNew(parameters()));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot generate an HPKE key pair", e);
        }
    }

    /**
     * The key pair in {@code file} (owner-only, checked); with {@code create}, generated there when absent (never
     * replacing one a concurrent first start wrote).
     *
     * @throws KeyVaultException the file is missing (and not to be created), readable by others, or no HPKE keyset
     */
    public static MemberEncryptionKey open(Path file, boolean create) {
        try {
            if (!Files.exists(file)) {
                if (!create) throw new KeyVaultException("member encryption key file " + file + " does not exist");
                OwnerOnlyFiles.createDirectory(file.toAbsolutePath().getParent());
                KeysetHandle handle = KeysetHandle.generateNew(parameters());
                OwnerOnlyFiles.createIfAbsent(
                        file,
                        TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get())
                                .getBytes(StandardCharsets.UTF_8));
            }
            String json = new String(OwnerOnlyFiles.read(file), StandardCharsets.UTF_8);
            KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
            if (!(handle.getPrimary().getKey().getParameters() instanceof HpkeParameters)) {
                throw new KeyVaultException("member encryption key file " + file + " holds no HPKE keyset");
            }
            return new MemberEncryptionKey(handle);
        } catch (OwnerOnlyFiles.NotOwnerOnlyException e) {
            throw new KeyVaultException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the member encryption key " + file, e);
        } catch (GeneralSecurityException e) {
            throw new KeyVaultException("member encryption key file " + file + " is no valid keyset", e);
        }
    }

    /** The public keyset (Tink binary keyset format, no secret), as published on chain. */
    public byte[] publicKeyset() {
        return publicKeyset.clone();
    }

    /** Encrypts {@code plaintext} to the holder of the private half of {@code publicKeyset}. */
    public static byte[] seal(byte[] publicKeyset, byte[] plaintext, byte[] contextInfo) {
        try {
            KeysetHandle pub = TinkProtoKeysetFormat.parseKeysetWithoutSecret(publicKeyset);
            if (!(pub.getPrimary().getKey().getParameters() instanceof HpkeParameters)) {
                throw new CryptoException("the published key is no HPKE public key");
            }
            return pub.getPrimitive(RegistryConfiguration.get(), HybridEncrypt.class)
                    .encrypt(plaintext, contextInfo);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("the published key is no usable HPKE public keyset", e);
        }
    }

    /**
     * Decrypts what was sealed to this key with the same context info.
     *
     * @throws DecryptionException sealed to another key, under another context, or altered
     */
    public byte[] open(byte[] ciphertext, byte[] contextInfo) {
        try {
            return decrypt.decrypt(ciphertext, contextInfo);
        } catch (GeneralSecurityException e) {
            throw new DecryptionException(
                    "the released key does not open with this member's key and context: sealed to another member,"
                            + " for another patient or key version, or altered",
                    e);
        }
    }
}
