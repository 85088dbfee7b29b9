package org.fhirledger.crypto;

/** Ciphertext that does not authenticate: tampered, swapped with another resource's, or the wrong associated data. */
public class DecryptionException extends CryptoException {
    public DecryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
