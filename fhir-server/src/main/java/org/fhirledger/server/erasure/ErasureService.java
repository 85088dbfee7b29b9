package org.fhirledger.server.erasure;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.api.model.ExpungeOptions;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.DataKeyNotFoundException;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.authz.AuthorizationUnavailableException;
import org.fhirledger.server.outbox.OutboxRow;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.outbox.VersionRecorder;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Erases a patient, in steps that a rerun (or a restart, {@link ErasureResumer}) completes from wherever a crash
 * stopped them:
 * <ol>
 * <li>the intent ({@code fl_erasure}, STARTED: pseudonym, time, salted hash of the reason), only once the chain
 * answers, so an outage refuses with 503 before anything changes;</li>
 * <li>the pseudonym of every resource of the patient marked erased: reads answer 410 from here on;</li>
 * <li>all of them deleted in one FHIR transaction (a Consent's delete revokes its grants on chain first, in that
 * transaction: erasure leaves no access alive), then expunged with their whole history;</li>
 * <li>the erasure entry (a new Patient version whose content is the {@link ErasureTombstone}) put into the outbox
 * like any version, with the step RECORDED, in one database transaction: the writer takes it to the chain and the
 * Merkle log;</li>
 * <li>the patient's data key shredded: every ciphertext in the content store becomes unreadable; on the embedded H2
 * database, whose file keeps the bytes of deleted rows, the file marked for compaction at the next start; DONE.</li>
 * </ol>
 */
public final class ErasureService {

    private static final Logger log = LoggerFactory.getLogger(ErasureService.class);

    private final DaoRegistry daos;
    private final PlatformTransactionManager hapiTransactions;
    private final TransactionTemplate jdbcTransactions;
    private final Pseudonyms pseudonyms;
    private final EnvelopeCipher cipher;
    private final OutboxStore outbox;
    private final RecordLedger ledger;
    private final Runnable wakeWriter;
    private final ErasureRegistry registry;
    private final PatientRecords records;
    private final ErasureAudit audit;
    private final java.util.function.Consumer<String> forgetInAudit;
    private final java.util.function.Consumer<Bytes32> forgetConsortiumPseudonym;
    private final Runnable compactStorage;
    private final Clock clock;

    ErasureService(
            DaoRegistry daos,
            PlatformTransactionManager hapiTransactions,
            Pseudonyms pseudonyms,
            EnvelopeCipher cipher,
            OutboxStore outbox,
            RecordLedger ledger,
            Runnable wakeWriter,
            ErasureRegistry registry,
            PatientRecords records,
            ErasureAudit audit,
            java.util.function.Consumer<String> forgetInAudit,
            java.util.function.Consumer<Bytes32> forgetConsortiumPseudonym,
            Runnable compactStorage,
            Clock clock) {
        this.daos = daos;
        this.hapiTransactions = hapiTransactions;
        this.jdbcTransactions = new TransactionTemplate(
                new DataSourceTransactionManager(registry.jdbc().getDataSource()));
        this.pseudonyms = pseudonyms;
        this.cipher = cipher;
        this.outbox = outbox;
        this.ledger = ledger;
        this.wakeWriter = wakeWriter;
        this.registry = registry;
        this.records = records;
        this.audit = audit;
        this.forgetInAudit = forgetInAudit;
        this.forgetConsortiumPseudonym = forgetConsortiumPseudonym;
        this.compactStorage = compactStorage;
        this.clock = clock;
    }

    public ErasureRegistry registry() {
        return registry;
    }

    /**
     * Erases the patient, or completes an erasure a crash interrupted.
     *
     * @throws ResourceNotFoundException no such patient (and none erased under this id)
     * @throws ResourceGoneException already erased
     * @throws AuthorizationUnavailableException the chain does not answer: nothing was changed
     */
    // one erasure at a time in this server; a second replica's concurrent one is stopped by the intent's primary key
    public synchronized ErasureRegistry.Erasure erase(String patientId, String reason, String requestor) {
        Bytes32 patient = pseudonyms.of("Patient", patientId);
        ErasureRegistry.Erasure e = registry.find(patient).orElse(null);
        if (e != null && e.state() == ErasureRegistry.State.DONE) {
            throw new ResourceGoneException("Patient/" + patientId + " was already erased on " + e.erasedAt());
        }
        if (e == null && !exists(patientId)) {
            throw new ResourceNotFoundException(new IdType("Patient", patientId));
        }
        requireChain(patient);
        if (e == null) {
            Set<String> shared = records.sharedWithOthers(patientId);
            if (!shared.isEmpty()) {
                // another patient's data is not this patient's to erase; ids only, they carry no PHI
                throw new ResourceVersionConflictException(
                        "Patient/" + patientId + " cannot be erased: " + shared.size()
                                + " of its resources are other patients' too ("
                                + String.join(", ", shared.stream().limit(20).toList())
                                + "). Nothing was changed; remove the patient from them first.");
            }
            Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            try {
                registry.begin(patientId, patient, at, ErasureTombstone.reasonHash(patient, reason));
            } catch (org.springframework.dao.DuplicateKeyException concurrent) {
                throw new ResourceVersionConflictException(
                        "An erasure of Patient/" + patientId + " is under way; " + "retry to see its outcome");
            }
            e = registry.find(patient).orElseThrow();
        }
        complete(e);
        ErasureRegistry.Erasure done = registry.find(patient).orElseThrow();
        audit.erased(done, requestor);
        return done;
    }

    /** Completes an erasure found unfinished at start-up; audited as the server's. */
    synchronized void resume(ErasureRegistry.Erasure e) {
        requireChain(e.patient());
        complete(e);
        audit.erased(registry.find(e.patient()).orElseThrow(), ledger.account());
    }

    /** Runs the remaining steps of a recorded erasure (each one idempotent). */
    void complete(ErasureRegistry.Erasure e) {
        String id = e.patientId();
        Bytes32 patient = e.patient();
        if (e.state() == ErasureRegistry.State.STARTED) {
            Set<String> members = records.of(id, patient);
            registry.markErased(patient, members.stream().map(pseudonyms::of).toList());
            try {
                deleteAll(members);
            } catch (ResourceVersionConflictException referenced) {
                // the deletes rolled back: nothing of the patient changed, so neither does the erasure's record
                registry.abandon(patient);
                throw new ResourceVersionConflictException(
                        "Patient/" + id + " cannot be erased: resources outside the "
                                + "patient's records refer to its resources. Nothing was changed; remove those references first.");
            }
            expungeAll(members);
            // the audit trail names targets it saw moments ago by reference: from now on by identifier
            members.forEach(forgetInAudit);
            // the chain (and the outbox rows) keep the consortium pseudonym the entries carried; the lookup goes
            forgetConsortiumPseudonym.accept(patient);
            recordEntry(e);
        }
        shred(patient);
        // before DONE, so an erasure a crash interrupts here still asks for it when it is resumed
        compactStorage.run();
        registry.done(patient);
        log.info("erasure of patient {} complete", patient.toHex());
    }

    private boolean exists(String patientId) {
        try {
            daos.getResourceDao("Patient").read(new IdType("Patient", patientId), new SystemRequestDetails());
            return true;
        } catch (ResourceGoneException deleted) {
            return true; // its history is still here
        } catch (ResourceNotFoundException absent) {
            return false;
        }
    }

    private void requireChain(Bytes32 patient) {
        try {
            ledger.contentHashOf(patient, 1);
        } catch (LedgerException down) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached: the erasure was not started, " + "nothing was changed. Retry later.",
                    down);
        }
    }

    /** One FHIR transaction, so references among them do not block the deletes; the server's own request. */
    private void deleteAll(Set<String> members) {
        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (String ref : members) {
            if (!records.live(ref)) continue;
            tx.addEntry().getRequest().setMethod(Bundle.HTTPVerb.DELETE).setUrl(ref);
        }
        if (tx.getEntry().isEmpty()) return;
        @SuppressWarnings("unchecked")
        IFhirSystemDao<Bundle, ?> system = (IFhirSystemDao<Bundle, ?>) daos.getSystemDao();
        system.transaction(new SystemRequestDetails(), tx);
    }

    /** HAPI's expunge of each (all versions), as the server: the public {@code $expunge} stays disabled. */
    private void expungeAll(Set<String> members) {
        ExpungeOptions options =
                new ExpungeOptions().setExpungeDeletedResources(true).setExpungeOldVersions(true);
        TransactionTemplate tx = new TransactionTemplate(hapiTransactions);
        List<String> failed = new ArrayList<>();
        for (String ref : members) {
            IdType id = new IdType(ref);
            try {
                tx.executeWithoutResult(s -> {
                    // AuditEvents keep naming the resource (by reference, in their JSON) but their search-index links
                    // to it must go, or the database refuses to remove it; they did not block its delete either
                    registry.jdbc()
                            .update(
                                    "delete from HFJ_RES_LINK where SRC_PATH like 'AuditEvent.%' and TARGET_RESOURCE_ID"
                                            + " in (select RES_ID from HFJ_RESOURCE where RES_TYPE = ? and FHIR_ID = ?)",
                                    id.getResourceType(), id.getIdPart());
                    daos.getResourceDao(id.getResourceType())
                            .forceExpungeInExistingTransaction(id, options, new SystemRequestDetails());
                });
            } catch (RuntimeException gone) {
                // not in the database any more (a rerun after a crash): nothing to expunge
                if (records.live(ref) || hasVersions(ref)) {
                    failed.add(ref);
                    // the class only: database messages can quote values
                    log.warn(
                            "expunge of a resource of an erased patient failed ({})",
                            gone.getClass().getSimpleName());
                }
            }
        }
        if (!failed.isEmpty()) {
            throw new InternalErrorException(
                    "The erasure is not complete: " + failed.size() + " resources could not be "
                            + "removed from the database. They answer 410 already; run $erase again to complete it.");
        }
    }

    private boolean hasVersions(String ref) {
        IdType id = new IdType(ref);
        Long n = registry.jdbc()
                .queryForObject(
                        "select count(*) from HFJ_RESOURCE where RES_TYPE = ? and FHIR_ID = ?",
                        Long.class,
                        id.getResourceType(),
                        id.getIdPart());
        return n != null && n > 0;
    }

    /** The erasure entry into the outbox and the step RECORDED, in one database transaction. */
    private void recordEntry(ErasureRegistry.Erasure e) {
        jdbcTransactions.executeWithoutResult(s -> {
            Long last = registry.jdbc()
                    .queryForObject(
                            "select max(res_version) from fl_outbox where res_type = 'Patient'" + " and res_id = ?",
                            Long.class,
                            e.patientId());
            long version = (last == null ? 0 : last) + 1;
            byte[] json = ErasureTombstone.json("Patient", e.patientId(), e.erasedAt(), e.reasonHash());
            // the tombstone names nothing of the patient: the server's key, which outlives the patient's
            byte[] envelope = cipher.encrypt(
                    EnvelopeCipher.SERVER_KEY_ID,
                    new ResourceVersion("Patient", e.patientId(), Long.toString(version)),
                    json);
            outbox.insert(
                    OutboxRow.Kind.RECORD,
                    "Patient",
                    e.patientId(),
                    version,
                    e.patient(),
                    e.patient(),
                    CanonicalResource.contentHash(json),
                    envelope,
                    null);
            registry.recorded(e.patient(), version);
        });
        wakeWriter.run();
    }

    private void shred(Bytes32 patient) {
        try {
            cipher.shred(VersionRecorder.keyIdOf(patient));
        } catch (DataKeyNotFoundException none) {
            // nothing was ever encrypted for this patient
        }
    }
}
