package org.fhirledger.crypto;

/**
 * Holds key-encryption keys (KEKs) and never hands them out: callers only ask it to wrap or unwrap a data key
 * under a named KEK. The shape matches a cloud KMS (AWS KMS Encrypt/Decrypt with a key id, GCP KMS, Vault transit),
 * so a KMS adapter is a drop-in; {@link FileKeyVault} is the embedded default.
 */
public interface KeyVault {

    /** The KEK new data keys are wrapped under. */
    String currentKekId();

    /**
     * Encrypts a data key under a KEK, binding {@code associatedData} (the data key's id) to it.
     *
     * @throws KeyVaultException the KEK does not exist or was retired
     */
    byte[] wrap(String kekId, byte[] plaintextKey, byte[] associatedData);

    /**
     * Decrypts a wrapped data key.
     *
     * @throws KeyVaultException the KEK does not exist or was retired, or the wrapped key/associated data do not
     *                           authenticate
     */
    byte[] unwrap(String kekId, byte[] wrappedKey, byte[] associatedData);
}
