package org.fhirledger.crypto;

/** A key-encryption key is missing, retired, insecurely stored, or refused to wrap/unwrap. */
public class KeyVaultException extends CryptoException {
    public KeyVaultException(String message) {
        super(message);
    }

    public KeyVaultException(String message, Throwable cause) {
        super(message, cause);
    }
}
