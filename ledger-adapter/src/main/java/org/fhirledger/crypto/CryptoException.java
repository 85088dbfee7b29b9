package org.fhirledger.crypto;

/** Base of every failure of the crypto package. Messages name key ids and resources, never key material or data. */
public class CryptoException extends RuntimeException {
    public CryptoException(String message) {
        super(message);
    }

    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
