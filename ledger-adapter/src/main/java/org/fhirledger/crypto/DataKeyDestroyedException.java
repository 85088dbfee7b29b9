package org.fhirledger.crypto;

/** The data key was crypto-shredded: everything encrypted under it is unreadable for good. */
public class DataKeyDestroyedException extends CryptoException {
    public DataKeyDestroyedException(String keyId, java.time.Instant at) {
        super("data key '" + keyId + "' was destroyed at " + at + "; content encrypted under it is unreadable");
    }
}
