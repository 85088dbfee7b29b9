package org.fhirledger.crypto;

/** No data key was ever created for this key id, so nothing can have been encrypted under it here. */
public class DataKeyNotFoundException extends CryptoException {
    public DataKeyNotFoundException(String keyId) {
        super("no data key for key id '" + keyId + "'");
    }
}
