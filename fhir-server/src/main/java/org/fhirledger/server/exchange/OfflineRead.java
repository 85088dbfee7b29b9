package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentNotFoundException;
import org.fhirledger.content.ContentStore;
import org.fhirledger.content.ContentStoreException;
import org.fhirledger.content.ContentUnavailableException;
import org.fhirledger.crypto.DecryptionException;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ConsentLedger;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

/**
 * The member's side of the offline route (docs/exchange.md, custodian offline): the custodian's server cannot be
 * reached, so this server reads the custodian's ciphertext from the content store by the CIDs of its entries on chain
 * and decrypts it with the data key the custodian released to this institution (sealed to this member's HPKE key).
 * With the custodian down, this server applies the custodian's rule itself: the clinician's consent on chain
 * ({@code ConsentRegistry.isPermitted}, under the patient's pseudonym at the custodian, which the release carries), per
 * type. Every version is checked as online: its stored form must hash to the entry's content hash.
 */
final class OfflineRead {

    private final KeyReleaseLedger releases;
    private final MemberEncryptionKey key;
    private final ConsentLedger consents;
    private final ContentStore content;
    private final FhirContext fhir;
    private final String self;
    private final Clock clock;

    OfflineRead(
            KeyReleaseLedger releases,
            MemberEncryptionKey key,
            ConsentLedger consents,
            ContentStore content,
            FhirContext fhir,
            String self,
            Clock clock) {
        this.releases = releases;
        this.key = key;
        this.consents = consents;
        this.content = content;
        this.fhir = fhir;
        this.self = self.toLowerCase(Locale.ROOT);
        this.clock = clock;
    }

    /**
     * The current versions of the patient's resources of the wanted types that the clinician may read, verified, into
     * {@code verified}; versions left out into {@code refused} and {@code issues}; the patient's ids at the custodian
     * into {@code remotePatients}.
     *
     * @throws MemberClient.MemberUnavailable no data key released to this institution for the patient, or it does not
     *                                        open: the offline route is not available (the member is still down)
     */
    void read(
            Institution holder,
            String base,
            Bytes32 patient,
            String clinician,
            Set<String> wanted,
            List<RecordInfo> entries,
            List<Resource> verified,
            List<String> refused,
            List<String> remotePatients,
            OperationOutcome issues) {
        byte[] sealed = releases.released(holder.custodian(), self, patient, ReleasedKey.KEY_VERSION)
                .orElseThrow(() -> new MemberClient.MemberUnavailable("The member cannot be reached, and it released"
                        + " no data key to this institution for this patient: its records cannot be read from the"
                        + " content store. Retry later."));
        ReleasedKey released;
        try {
            byte[] payload =
                    key.open(sealed, ReleasedKey.context(holder.custodian(), self, patient, ReleasedKey.KEY_VERSION));
            try {
                released = ReleasedKey.parse(payload);
            } finally {
                Arrays.fill(payload, (byte) 0);
            }
        } catch (DecryptionException | IllegalArgumentException e) {
            throw new MemberClient.MemberUnavailable("The member cannot be reached, and the data key it released to"
                    + " this institution does not open with this institution's encryption key. Retry later.");
        }
        try {
            Map<String, Boolean> permitted = new HashMap<>();
            java.util.function.Predicate<String> mayRead = type -> permitted.computeIfAbsent(
                    type,
                    t -> consents.isPermitted(released.subject(), clinician, ConsentAction.READ, t, clock.instant()));
            if (!mayRead.test("Patient")) {
                // what the member's own search would answer: no patient for this caller
                issues.addIssue()
                        .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                        .setCode(OperationOutcome.IssueType.NOTFOUND)
                        .setDiagnostics("The member shows the caller no patient with this patient's shared identifier"
                                + " (none there, or no consent there for the caller)");
                return;
            }
            // the current version of each resource: the highest version the member recorded under the patient
            Map<Bytes32, RecordInfo> current = new HashMap<>();
            for (RecordInfo info : entries) {
                current.merge(
                        info.entry().resource(),
                        info,
                        (a, b) -> a.entry().version() >= b.entry().version() ? a : b);
            }
            int unknown = 0;
            for (RecordInfo info : current.values().stream()
                    .sorted(java.util.Comparator.comparingLong(i -> i.receipt().seq()))
                    .toList()) {
                String ref = released.resources().get(info.entry().resource());
                if (ref == null) {
                    unknown++;
                    continue;
                }
                String type = ref.substring(0, ref.indexOf('/'));
                String id = ref.substring(ref.indexOf('/') + 1);
                // nothing is decrypted that the clinician may not read
                if (!wanted.contains(type) || !mayRead.test(type)) continue;
                long version = info.entry().version();
                String reference = type + "/" + id + "/_history/" + version;
                Read r = decrypt(type, id, version, info, released.keyset());
                if (r.deleted()) continue; // the resource is gone at the member
                if (r.missing()) {
                    // unavailable, not altered: said, but no integrity failure
                    issues.addIssue()
                            .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                            .setCode(OperationOutcome.IssueType.NOTFOUND)
                            .setDiagnostics("Left out " + base + "/" + reference + ": the content store this server"
                                    + " reads does not hold its content (not replicated here)");
                    continue;
                }
                if (r.resource() == null) {
                    refused.add(reference);
                    issues.addIssue()
                            .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                            .setCode(OperationOutcome.IssueType.PROCESSING)
                            .setDiagnostics(
                                    "Left out " + base + "/" + reference + ": its content from the content store"
                                            + " does not decrypt to what the member's entry for this version on the private"
                                            + " chain hashes (or cannot be read)");
                    continue;
                }
                if (type.equals("Patient")) remotePatients.add(id);
                verified.add(r.resource());
            }
            if (unknown > 0) {
                issues.addIssue()
                        .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                        .setCode(OperationOutcome.IssueType.INCOMPLETE)
                        .setDiagnostics(unknown + " resource(s) the member recorded for this patient after it released"
                                + " the data key to this institution cannot be named offline and are left out");
            }
            issues.addIssue()
                    .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics("The member's server could not be reached: this answer comes from the content"
                            + " store (IPFS) by the CIDs on the private chain, decrypted with the data key the member"
                            + " released to this institution; consent was checked on chain here");
        } finally {
            Arrays.fill(released.keyset(), (byte) 0);
        }
    }

    /**
     * A version read from the content store: the resource, a deletion, content this server's store does not hold
     * (missing), or none of these (left out: unreadable or not matching its entry).
     */
    private record Read(Resource resource, boolean deleted, boolean missing) {
        static final Read LEFT_OUT = new Read(null, false, false);
        static final Read DELETED = new Read(null, true, false);
        static final Read MISSING = new Read(null, false, true);
    }

    /**
     * The version as its entry names it: left out when it cannot be read or does not match the entry's hash; a
     * deletion (its tombstone) is no resource to show.
     */
    private Read decrypt(String type, String id, long version, RecordInfo info, byte[] keyset) {
        byte[] json;
        try {
            byte[] envelope = content.get(Cid.fromBytes(info.entry().cid()));
            json = EnvelopeCipher.decryptWithReleasedKey(
                    keyset, new ResourceVersion(type, id, Long.toString(version)), envelope);
        } catch (ContentUnavailableException down) {
            throw new MemberClient.MemberUnavailable(
                    "The member cannot be reached, nor the content store. Retry" + " later.");
        } catch (ContentNotFoundException notHere) {
            return Read.MISSING;
        } catch (ContentStoreException | DecryptionException | IllegalArgumentException e) {
            return Read.LEFT_OUT;
        }
        if (!CanonicalResource.contentHash(json).equals(info.entry().contentHash())) return Read.LEFT_OUT;
        if (Arrays.equals(json, StoredForm.tombstone(type, id))) return Read.DELETED;
        try {
            Resource r = (Resource)
                    fhir.newJsonParser().parseResource(new String(json, java.nio.charset.StandardCharsets.UTF_8));
            if (!type.equals(r.fhirType())) return Read.LEFT_OUT;
            r.setId(new IdType(type, id, Long.toString(version)));
            r.getMeta().setVersionId(Long.toString(version));
            return new Read(r, false, false);
        } catch (DataFormatException | ClassCastException e) {
            return Read.LEFT_OUT;
        }
    }
}
