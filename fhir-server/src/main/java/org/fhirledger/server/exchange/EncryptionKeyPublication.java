package org.fhirledger.server.exchange;

import java.util.Arrays;
import java.util.Locale;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.server.ledger.CustodianEnrolledListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this member's encryption public key on chain (KeyRelease), which custodians seal released data keys to:
 * at start-up when the directory holds this server, and once a server admitted later has enrolled itself. Nothing is
 * sent when the chain holds this key already; a failure is logged and retried at the next start.
 */
final class EncryptionKeyPublication implements CustodianEnrolledListener {

    private static final Logger log = LoggerFactory.getLogger(EncryptionKeyPublication.class);

    private final InstitutionDirectory directory;
    private final KeyReleaseLedger releases;
    private final MemberEncryptionKey key;
    private final String self;

    EncryptionKeyPublication(
            InstitutionDirectory directory, KeyReleaseLedger releases, MemberEncryptionKey key, String self) {
        this.directory = directory;
        this.releases = releases;
        this.key = key;
        this.self = self.toLowerCase(Locale.ROOT);
    }

    /** Whether the key was sent now (false: no member yet, or the chain holds it already). */
    boolean publishIfMember() {
        if (!directory.isMember(self)) return false;
        byte[] ours = key.publicKeyset();
        if (releases.publishedKey(self).map(k -> Arrays.equals(k, ours)).orElse(false)) return false;
        releases.publishKey(ours);
        log.info("Published this member's encryption key for released data keys");
        return true;
    }

    @Override
    public void enrolled(Ledger ledger) {
        publishSafely();
    }

    void publishSafely() {
        try {
            publishIfMember();
        } catch (LedgerException e) {
            log.warn(
                    "Publishing this member's encryption key failed ({}); retried at the next start",
                    e.getClass().getSimpleName());
        }
    }
}
