package org.fhirledger.server.exchange;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.server.authz.ConsentChangeListener;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.outbox.VersionRecorder;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The custodian's side of the offline route (docs/exchange.md, custodian offline): once a Consent granting a clinician
 * of another member is committed, the patient's data key is sealed to that member's published encryption key and
 * recorded on chain (KeyRelease), under each consortium pseudonym the patient's entries carry, for the data key's
 * version. In the background, one at a time: a release that fails is logged and the Consent stands (the offline route
 * is then unavailable for that patient until the next grant). A member that published no key gets nothing.
 */
final class KeyReleases implements ConsentChangeListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyReleases.class);

    private final DirectoryLedger roles;
    private final KeyReleaseLedger releases;
    private final EnvelopeCipher cipher;
    private final Pseudonyms pseudonyms;
    private final JdbcTemplate jdbc;
    private final String self;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "key-release");
        t.setDaemon(true);
        return t;
    });

    KeyReleases(
            DirectoryLedger roles,
            KeyReleaseLedger releases,
            EnvelopeCipher cipher,
            Pseudonyms pseudonyms,
            JdbcTemplate jdbc,
            String self) {
        this.roles = roles;
        this.releases = releases;
        this.cipher = cipher;
        this.pseudonyms = pseudonyms;
        this.jdbc = jdbc;
        this.self = self.toLowerCase(Locale.ROOT);
    }

    @Override
    public void granted(String patientId, List<String> accounts) {
        worker.execute(() -> {
            try {
                release(patientId, accounts);
            } catch (RuntimeException e) {
                // any failure (chain, crypto, database): one line by class, never a message that could quote values;
                // the worker goes on with the next task
                log.warn(
                        "releasing a data key to a member failed: {}",
                        e.getClass().getSimpleName());
            }
        });
    }

    @Override
    public void revoked(String patientId, List<String> accounts) {
        worker.execute(() -> {
            try {
                rotateAfterRevocation(patientId, accounts);
            } catch (RuntimeException e) {
                log.warn(
                        "rotating a data key after a revocation failed: {}",
                        e.getClass().getSimpleName());
            }
        });
    }

    /**
     * A released key cannot be taken back; rotating the patient's data key keeps what is written from now on out of
     * its reach. Rotates when a revoked account is enrolled under another member to which this server released the
     * patient's key; returns whether it did. Members still consented get the new key at the patient's next granting
     * Consent.
     */
    boolean rotateAfterRevocation(String patientId, List<String> accounts) {
        Set<String> members = membersOf(accounts);
        if (members.isEmpty()) return false;
        Bytes32 local = pseudonyms.of("Patient", patientId);
        Set<Bytes32> onChain = new LinkedHashSet<>(jdbc
                .queryForList(
                        "select distinct ledger_patient_pn from " + OutboxStore.TABLE
                                + " where patient_pn = ? and kind = 'RECORD' and ledger_patient_pn is not null",
                        String.class,
                        local.toHex())
                .stream()
                .map(Bytes32::fromHex)
                .toList());
        boolean released = false;
        for (String member : members) {
            for (Bytes32 patient : onChain) {
                if (releases.released(self, member, patient, ReleasedKey.KEY_VERSION)
                        .isPresent()) released = true;
            }
        }
        if (!released) return false;
        cipher.rotateDataKey(VersionRecorder.keyIdOf(local));
        log.info("Rotated a patient's data key after a consent revocation for a member it was released to");
        return true;
    }

    private Set<String> membersOf(List<String> accounts) {
        Set<String> members = new LinkedHashSet<>();
        for (String account : accounts) {
            roles.institutionOf(account)
                    .map(i -> i.toLowerCase(Locale.ROOT))
                    .filter(i -> !i.equals(self)) // this institution's own clinicians read here
                    .ifPresent(members::add);
        }
        return members;
    }

    /**
     * Releases now, once per member the accounts are enrolled under (other than this institution); how many releases
     * were recorded (0: nothing to release, or no such member published a key).
     */
    int release(String patientId, List<String> accounts) {
        Set<String> members = membersOf(accounts);
        int count = 0;
        for (String member : members) count += releaseTo(patientId, member);
        return count;
    }

    private int releaseTo(String patientId, String member) {
        Optional<byte[]> published = releases.publishedKey(member);
        if (published.isEmpty()) {
            log.info("A consented member has published no encryption key: no data key released, offline reading"
                    + " unavailable to it");
            return 0;
        }
        Bytes32 local = pseudonyms.of("Patient", patientId);
        Map<Bytes32, String> resources = new LinkedHashMap<>();
        Set<Bytes32> onChain = new LinkedHashSet<>();
        jdbc.query(
                "select res_type, res_id, resource_pn, ledger_patient_pn from " + OutboxStore.TABLE
                        + " where patient_pn = ? and kind = 'RECORD' order by id",
                rs -> {
                    resources.put(Bytes32.fromHex(rs.getString(3)), rs.getString(1) + "/" + rs.getString(2));
                    String pn = rs.getString(4);
                    if (pn != null) onChain.add(Bytes32.fromHex(pn));
                },
                local.toHex());
        onChain.remove(local); // entries under the local pseudonym are found by nobody else
        onChain.remove(Bytes32.ZERO);
        if (onChain.isEmpty()) return 0; // no consortium pseudonym: not locatable, nothing to read offline
        byte[] keyset = cipher.exportDataKey(VersionRecorder.keyIdOf(local));
        int count = 0;
        try {
            byte[] payload = new ReleasedKey(local, keyset, resources).toBytes();
            try {
                for (Bytes32 patient : onChain) {
                    byte[] sealed = MemberEncryptionKey.seal(
                            published.get(),
                            payload,
                            ReleasedKey.context(self, member, patient, ReleasedKey.KEY_VERSION));
                    releases.release(member, patient, ReleasedKey.KEY_VERSION, sealed);
                    count++;
                }
            } finally {
                Arrays.fill(payload, (byte) 0);
            }
        } finally {
            Arrays.fill(keyset, (byte) 0);
        }
        return count;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
