package org.fhirledger.server.outbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.transaction.AfterCommitOnce;
import org.fhirledger.server.version.RecordedInRequest;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DataIntegrityViolationException;

/**
 * Runs inside HAPI's database transaction (pre-commit storage hooks): for each stored version, the content hash of
 * its {@link StoredForm}, its patient compartment and an outbox row, which therefore commits or rolls back with the version.
 * Record versions are encrypted here (data key of the patient, associated data = the resource version), so the
 * outbox never holds PHI in clear and the ciphertext (hence its CID) is fixed once committed: a writer that crashed
 * puts the same bytes again and gets the same CID. AuditEvents get an access entry instead.
 */
public class VersionRecorder {

    private final FhirContext ctx;
    private final Pseudonyms pseudonyms;
    private final PatientLinks compartment;
    private final EnvelopeCipher cipher;
    private final AuditAccessMapping auditMapping;
    private final OutboxStore store;
    private final Runnable wakeWriter;
    /** The writer's wake-up after the commit of the transaction in progress. */
    private final AfterCommitOnce wakeAfterCommit;

    private final StoredForm storedForm;
    private final TagDefinitions tagDefinitions;
    private final LedgerPatients ledgerPatients;

    public VersionRecorder(
            FhirContext ctx,
            Pseudonyms pseudonyms,
            EnvelopeCipher cipher,
            AuditAccessMapping auditMapping,
            OutboxStore store,
            LedgerPatients ledgerPatients,
            Runnable wakeWriter) {
        this.ctx = ctx;
        this.ledgerPatients = ledgerPatients;
        this.pseudonyms = pseudonyms;
        this.compartment = new PatientLinks(ctx);
        this.cipher = cipher;
        this.auditMapping = auditMapping;
        this.store = store;
        this.wakeWriter = wakeWriter;
        this.wakeAfterCommit = new AfterCommitOnce(wakeWriter);
        this.storedForm = new StoredForm(ctx);
        this.tagDefinitions = new TagDefinitions(store.jdbc());
    }

    /**
     * A stored version. {@code request} (may be null) only shapes the refusal when this version number is taken
     * already: by a concurrent update that committed first (409, or 412 for a request with If-Match) or, should an
     * operation that changes a version in place get past {@link InPlaceChangeRefusal}, by this very version (405).
     */
    public void stored(IBaseResource resource, RequestDetails request) {
        IIdType id = resource.getIdElement();
        String type = ctx.getResourceType(resource);
        long version = versionOf(id);
        byte[] json = storedForm.of(resource);
        Bytes32 hash = CanonicalResource.contentHash(json);
        Optional<OutboxStore.VersionState> existing =
                isNewByConstruction(request) ? Optional.empty() : store.versionState(type, id.getIdPart(), version);
        if (existing.isPresent()) {
            // An unchanged body (HAPI's no-op update) is fine.
            if (existing.get().contentHash().equals(hash)) return;
            if (request != null && InPlaceChangeRefusal.changesInPlace(request.getOperation())) {
                throw new MethodNotAllowedException(InPlaceChangeRefusal.MESSAGE);
            }
            throw conflict(request);
        }
        Bytes32 resourcePn = pseudonyms.of(type, id.getIdPart());
        if (resource instanceof AuditEvent event) {
            AccessEntry access = auditMapping.map(event, hash);
            insert(
                    OutboxRow.Kind.ACCESS,
                    type,
                    id.getIdPart(),
                    version,
                    access.resource(),
                    access.patient(),
                    access.patient(),
                    hash,
                    null,
                    access,
                    request);
        } else {
            record(resource, type, id.getIdPart(), version, resourcePn, hash, json, request);
            // the answer to this write shows these bytes: its check need not hash them again
            RecordedInRequest.remember(request, type, id.getIdPart(), version, json, hash);
        }
        afterCommitWake();
    }

    /**
     * Set (to {@code true}) in the user data of a server-side request that writes versions it knows to be new (the
     * audit materialiser's AuditEvents, one id per record): their rows are not looked for first. Were one there after
     * all, its insert breaks the outbox's unique (type, id, version) key and the transaction rolls back.
     */
    public static final String NEW_BY_CONSTRUCTION = VersionRecorder.class.getName() + ".newByConstruction";

    private static boolean isNewByConstruction(RequestDetails request) {
        return request instanceof SystemRequestDetails
                && Boolean.TRUE.equals(request.getUserData().get(NEW_BY_CONSTRUCTION));
    }

    /** A delete version: the tombstone; its patient is that of the last stored version. */
    public void deleted(IBaseResource lastStored, long deleteVersion, RequestDetails request) {
        String type = ctx.getResourceType(lastStored);
        String id = lastStored.getIdElement().getIdPart();
        byte[] json = StoredForm.tombstone(type, id);
        record(
                "AuditEvent".equals(type) ? null : lastStored,
                type,
                id,
                deleteVersion,
                pseudonyms.of(type, id),
                CanonicalResource.contentHash(json),
                json,
                request);
        afterCommitWake();
    }

    /**
     * A record row: under the patient of {@code content}'s compartment (none when null), encrypted with that
     * patient's data key, its entry carrying the patient's pseudonym for the chain ({@link LedgerPatients}).
     */
    private void record(
            IBaseResource content,
            String type,
            String id,
            long version,
            Bytes32 resourcePn,
            Bytes32 hash,
            byte[] json,
            RequestDetails request) {
        Optional<String> owner = content == null ? Optional.empty() : compartment.ledgerOwnerOf(content);
        Bytes32 patient = owner.map(pseudonyms::of).orElse(Bytes32.ZERO);
        Bytes32 onChain;
        try {
            onChain = owner.map(o -> ledgerPatients.of(content, o.substring("Patient/".length()), patient))
                    .orElse(Bytes32.ZERO);
        } catch (DataIntegrityViolationException | ConcurrencyFailureException e) {
            throw conflict(request); // the same Patient created by two requests at once
        }
        byte[] envelope = cipher.encrypt(keyIdOf(patient), new ResourceVersion(type, id, Long.toString(version)), json);
        insert(OutboxRow.Kind.RECORD, type, id, version, resourcePn, patient, onChain, hash, envelope, null, request);
    }

    /**
     * Two transactions writing the same version of a resource (concurrent updates) meet on the outbox's unique
     * (type, id, version) before HAPI's own check: the loser is a version conflict, as HAPI would say.
     */
    private void insert(
            OutboxRow.Kind kind,
            String type,
            String id,
            long version,
            Bytes32 resource,
            Bytes32 patient,
            Bytes32 ledgerPatient,
            Bytes32 hash,
            byte[] envelope,
            AccessEntry access,
            RequestDetails request) {
        try {
            store.insert(kind, type, id, version, resource, patient, ledgerPatient, hash, envelope, access);
        } catch (DataIntegrityViolationException | ConcurrencyFailureException e) {
            throw conflict(request);
        }
    }

    private static BaseServerResponseException conflict(RequestDetails request) {
        String message = "The resource was changed by another request at the same time: read it again and retry";
        if (request != null && request.getHeader(Constants.HEADER_IF_MATCH) != null) {
            return new PreconditionFailedException(message);
        }
        return new ResourceVersionConflictException(message);
    }

    /**
     * Before storage: tags of the ledger-status system are the server's, added when serving, so never stored (a
     * client may echo them); tags and security labels take the values HAPI will serve ({@link TagDefinitions}); tags,
     * security labels and profiles are put in their canonical form ({@link StoredForm}).
     */
    public void prepareForUpdate(IBaseResource previous, IBaseResource resource) {
        // HAPI carries the previous version's tags and security labels into the new version without putting them
        // on the resource it hands to the pre-commit hook: add them here, so what is hashed is what is stored.
        if (previous != null) {
            for (IBaseCoding t : previous.getMeta().getTag()) {
                if (resource.getMeta().getTag(t.getSystem(), t.getCode()) == null) {
                    resource.getMeta()
                            .addTag()
                            .setSystem(t.getSystem())
                            .setCode(t.getCode())
                            .setDisplay(t.getDisplay())
                            .setVersion(t.getVersion());
                }
            }
            for (IBaseCoding t : previous.getMeta().getSecurity()) {
                if (resource.getMeta().getSecurity(t.getSystem(), t.getCode()) == null) {
                    resource.getMeta()
                            .addSecurity()
                            .setSystem(t.getSystem())
                            .setCode(t.getCode())
                            .setDisplay(t.getDisplay())
                            .setVersion(t.getVersion());
                }
            }
        }
        prepareForStorage(resource);
    }

    public void prepareForStorage(IBaseResource resource) {
        resource.getMeta().getTag().removeIf(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()));
        resource.getMeta().getSecurity().removeIf(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()));
        tagDefinitions.resolve(resource);
        StoredForm.canonicalMeta(resource);
    }

    /** The data key id of a patient pseudonym (its hex without 0x), or the server key outside compartments. */
    public static String keyIdOf(Bytes32 patient) {
        return patient.isZero() ? EnvelopeCipher.SERVER_KEY_ID : patient.toHex().substring(2);
    }

    static long versionOf(IIdType id) {
        if (!id.hasVersionIdPart() || !id.isVersionIdPartValidLong()) {
            throw new IllegalStateException("stored version without a numeric version id");
        }
        return id.getVersionIdPartAsLong();
    }

    private void afterCommitWake() {
        wakeAfterCommit.request(); // once per transaction, however many versions it writes
    }
}
