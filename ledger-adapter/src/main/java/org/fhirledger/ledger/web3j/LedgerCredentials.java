package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.nio.file.Path;
import org.fhirledger.ledger.LedgerException;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.WalletUtils;
import org.web3j.crypto.exception.CipherException;

/** Where the adapter's signing key comes from: an encrypted keystore file, or a private key in the environment. */
public final class LedgerCredentials {
    private LedgerCredentials() {}

    public static Credentials fromKeystore(Path keystore, String password) {
        try {
            return WalletUtils.loadCredentials(password, keystore.toFile());
        } catch (IOException | CipherException e) {
            throw new LedgerException("cannot load ledger keystore " + keystore + ": " + e.getMessage(), e);
        }
    }

    /** Reads a hex private key from the named environment variable (the key itself is never logged). */
    public static Credentials fromEnvironment(String variable) {
        String key = System.getenv(variable);
        if (key == null || key.isBlank()) {
            throw new LedgerException("environment variable " + variable + " with the ledger private key is not set");
        }
        if (!WalletUtils.isValidPrivateKey(key.trim())) {
            throw new LedgerException("environment variable " + variable + " does not hold a valid private key");
        }
        return Credentials.create(key.trim());
    }
}
