package org.fhirledger.server.audit;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.time.Clock;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.ActingThrough;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The server's audit trail in the {@link AuditShape} (IHE BALP). An interaction becomes a compact
 * {@link AuditRecord} in the {@link AuditLog} before the response goes out: inside the caller's transaction for a
 * change (a change and its audit commit or roll back together), otherwise group-committed with other requests'. The
 * {@link AuditMaterialiser} later builds each record's AuditEvent here ({@link #build}) and stores it as the server
 * ({@link SystemRequestDetails}).
 */
public final class AuditTrail {

    /**
     * One interaction to audit. The patient is an id, the resource a {@code Type/id} string, either may be null; the
     * query (searches only) is stored as its keyed hash and parameter names, never as text.
     */
    public record Entry(
            String address,
            String fhirUser,
            String subjectId,
            Set<String> roles,
            String interaction,
            AuditEvent.AuditEventAction action,
            String outcome,
            String outcomeText,
            String patientId,
            String resource,
            AuditQuery query,
            boolean breakGlass,
            String reason,
            ActingThrough actingThrough) {

        Entry withResource(String typeSlashId) {
            return new Entry(
                    address,
                    fhirUser,
                    subjectId,
                    roles,
                    interaction,
                    action,
                    outcome,
                    outcomeText,
                    patientId,
                    typeSlashId,
                    query,
                    breakGlass,
                    reason,
                    actingThrough);
        }
    }

    /** detail types of the query entity */
    public static final String DETAIL_QUERY_HASH = "query-hmac-sha256";

    public static final String DETAIL_QUERY_PARAMETERS = "query-parameters";
    private static final Pattern PATIENT_REFERENCE = Pattern.compile("Patient/[A-Za-z0-9\\-.]{1,64}");

    private final DaoRegistry daos;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final Pseudonyms keyedHash;
    private final AuditLog auditLog;
    // Targets seen to exist, for a few seconds: an audit names the same patient and practitioner again and again.
    // A delete through this server forgets its target at once; another replica's delete is at worst EXISTS_TTL old.
    private static final long EXISTS_TTL_MILLIS = 10_000;
    private static final int EXISTS_MAX = 100_000;
    private final java.util.concurrent.ConcurrentHashMap<String, Seen> existsUntil =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A target seen to exist: HAPI's row id for it, and until when that may be taken as still true. */
    private record Seen(long pid, long until) {}

    /**
     * A record's AuditEvent and the HAPI row ids of the targets it references, each looked up while building it:
     * given to HAPI with the AuditEvent, they spare it looking up each reference again (a fifth of the
     * materialiser's time in a profile).
     */
    record Built(AuditEvent event, Map<String, Long> targets) {}

    public AuditTrail(DaoRegistry daos, JdbcTemplate jdbc, Clock clock, Pseudonyms keyedHash, AuditLog auditLog) {
        this.daos = daos;
        this.jdbc = jdbc;
        this.clock = clock;
        this.keyedHash = keyedHash;
        this.auditLog = auditLog;
    }

    /** Durable before it returns (group-committed); {@link AuditUnavailableException} if it cannot be. */
    public void record(List<Entry> entries) {
        auditLog.append(entries.stream().map(this::compact).toList());
    }

    /** A change's audit, in the change's transaction. */
    public void recordInTransaction(List<Entry> entries) {
        auditLog.appendInTransaction(entries.stream().map(this::compact).toList());
    }

    /**
     * What the AuditEvent will hold, nothing more: the query as its keyed hash and parameter names, texts without
     * other patients, no resource entity naming another patient.
     */
    AuditRecord compact(Entry e) {
        return new AuditRecord(
                null,
                clock.millis(),
                e.address(),
                e.fhirUser(),
                e.subjectId(),
                e.roles(),
                e.interaction(),
                e.action().toCode(),
                e.outcome(),
                e.outcomeText() == null ? null : withoutOtherPatients(e.outcomeText(), e),
                e.patientId(),
                e.resource() == null || otherPatient(e.resource(), e) ? null : e.resource(),
                e.query() == null ? null : keyedHash.queryHash(e.query().canonical()),
                e.query() == null ? null : e.query().parameterNames(),
                e.breakGlass(),
                e.reason(),
                e.actingThrough());
    }

    /** The record's AuditEvent (its id is set by the materialiser), with the row ids of the targets it references. */
    Built build(AuditRecord e) {
        Map<String, Long> targets = new HashMap<>();
        AuditEvent ae = new AuditEvent();
        ae.setType(new Coding(AuditShape.TYPE_SYSTEM, "rest", "Restful Operation"));
        ae.addSubtype(new Coding(AuditShape.INTERACTION_SYSTEM, e.interaction(), null));
        ae.setAction(AuditEvent.AuditEventAction.fromCode(e.action()));
        ae.setRecorded(new Date(e.recordedAt()));
        ae.setOutcome(
                switch (e.outcome()) {
                    case AuditShape.OUTCOME_SUCCESS -> AuditEvent.AuditEventOutcome._0;
                    case AuditShape.OUTCOME_DENIED -> AuditEvent.AuditEventOutcome._4;
                    default -> AuditEvent.AuditEventOutcome._8;
                });
        if (e.outcomeText() != null) ae.setOutcomeDesc(e.outcomeText());
        if (e.breakGlass()) {
            CodeableConcept purpose = new CodeableConcept(
                    new Coding(AuditShape.PURPOSE_SYSTEM, AuditShape.PURPOSE_BREAK_GLASS, "break the glass"));
            if (e.reason() != null) purpose.setText(e.reason());
            ae.addPurposeOfEvent(purpose);
        } else if (e.reason() != null) {
            // what the request was for, in words (a retrieval from another member: which member, which types)
            ae.addPurposeOfEvent(new CodeableConcept().setText(e.reason()));
        }
        AuditEvent.AuditEventAgentComponent agent = ae.addAgent().setRequestor(true);
        agent.setType(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser", "human user")));
        Reference who = new Reference();
        if (e.address() != null) {
            who.setIdentifier(
                    new Identifier().setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM).setValue(e.address()));
        }
        if (e.fhirUser() != null && exists(e.fhirUser(), targets)) who.setReference(e.fhirUser());
        agent.setWho(who);
        if (e.subjectId() != null) agent.setAltId(e.subjectId());
        for (String role : e.roles()) {
            agent.addRole(
                    new CodeableConcept(new Coding("https://fhir-ledger.org/CodeSystem/ledger-role", role, null)));
        }
        if (e.actingThrough() != null) {
            // the institution the clinician acted through (BALP's client agent): its custodian account, which the
            // directory maps to it, and its Organization identifier
            AuditEvent.AuditEventAgentComponent member = ae.addAgent().setRequestor(false);
            member.setType(new CodeableConcept(new Coding(AuditShape.AGENT_TYPE_SYSTEM, "110150", "Application")));
            member.setWho(new Reference()
                    .setIdentifier(new Identifier()
                            .setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM)
                            .setValue(e.actingThrough().custodian()))
                    .setDisplay(e.actingThrough().organization()));
            member.setName(e.actingThrough().organization());
            member.addRole(new CodeableConcept(new Coding(
                    AuditShape.MEMBER_ROLE_SYSTEM, AuditShape.MEMBER_ROLE, "consortium member acted through")));
        }
        ae.getSource()
                .setObserver(new Reference().setDisplay("fhir-ledger"))
                .addType(new Coding(
                        "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));
        if (e.patientId() != null) {
            ae.addEntity()
                    .setWhat(target("Patient/" + e.patientId(), targets))
                    .setRole(new Coding(AuditShape.OBJECT_ROLE_SYSTEM, AuditShape.ROLE_PATIENT, "Patient"))
                    .setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"));
        }
        if (e.resource() != null) {
            ae.addEntity()
                    .setWhat(target(e.resource(), targets))
                    .setRole(new Coding(
                            AuditShape.OBJECT_ROLE_SYSTEM, AuditShape.ROLE_DOMAIN_RESOURCE, "Domain Resource"))
                    .setType(new Coding(
                            "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"));
        }
        if (e.queryHash() != null) {
            AuditEvent.AuditEventEntityComponent query = ae.addEntity()
                    .setRole(new Coding(AuditShape.OBJECT_ROLE_SYSTEM, "24", "Query"))
                    .setType(new Coding(
                            "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"));
            query.addDetail().setType(DETAIL_QUERY_HASH).setValue(new StringType(e.queryHash()));
            query.addDetail().setType(DETAIL_QUERY_PARAMETERS).setValue(new StringType(e.queryParameters()));
        }
        return new Built(ae, targets);
    }

    /**
     * An event a patient may read names no other patient: references to another Patient in a text (a refusal's
     * reason, a failed version) are left out. The caller's own fhirUser is theirs to see.
     */
    private static String withoutOtherPatients(String text, Entry e) {
        return PATIENT_REFERENCE
                .matcher(text)
                .replaceAll(m -> otherPatient(m.group(), e) ? "Patient/(other)" : m.group());
    }

    private static boolean otherPatient(String typeSlashId, Entry e) {
        return typeSlashId.startsWith("Patient/")
                && !typeSlashId.equals("Patient/" + e.patientId())
                && !typeSlashId.equals(e.fhirUser());
    }

    /** A reference when the target exists here (the database checks references), else its identity as identifier. */
    private Reference target(String typeSlashId, Map<String, Long> targets) {
        if (exists(typeSlashId, targets)) return new Reference(typeSlashId);
        return new Reference()
                .setIdentifier(
                        new Identifier().setSystem(AuditShape.REFERENCE_SYSTEM).setValue(typeSlashId));
    }

    /**
     * Asks the database again about the record's targets: a batch whose AuditEvents failed may have named a target
     * deleted since it was seen (a reference to it is refused), and the cache would name it again on the next try.
     */
    void forgetTargetsOf(AuditRecord r) {
        if (r.fhirUser() != null) existsUntil.remove(r.fhirUser());
        if (r.patientId() != null) existsUntil.remove("Patient/" + r.patientId());
        if (r.resource() != null) existsUntil.remove(r.resource());
    }

    /** The target was deleted (through this server): name it by identifier from now on. */
    public void forget(String typeSlashId) {
        existsUntil.remove(typeSlashId);
    }

    /** Whether the target is stored and not deleted; if so its HAPI row id goes into {@code targets}. */
    private boolean exists(String typeSlashId, Map<String, Long> targets) {
        Seen seen = existsUntil.get(typeSlashId);
        long now = clock.millis();
        if (seen != null && seen.until() > now) {
            targets.put(typeSlashId, seen.pid());
            return true;
        }
        IdType id = new IdType(typeSlashId);
        if (!id.hasResourceType() || !id.hasIdPart() || !daos.isResourceTypeSupported(id.getResourceType()))
            return false;
        // HAPI's current-version row, by its (RES_TYPE, FHIR_ID) index: whether it is there and not deleted is all
        // an audit needs (a full read parsed the resource: an eighth of the materialiser's time in a profile)
        List<Long> found = jdbc.queryForList(
                "select RES_ID from HFJ_RESOURCE where RES_TYPE = ? and FHIR_ID = ? and RES_DELETED_AT is null",
                Long.class,
                id.getResourceType(),
                id.getIdPart());
        if (found.size() != 1) {
            existsUntil.remove(typeSlashId);
            return false;
        }
        if (existsUntil.size() >= EXISTS_MAX) existsUntil.clear();
        existsUntil.put(typeSlashId, new Seen(found.get(0), now + EXISTS_TTL_MILLIS));
        targets.put(typeSlashId, found.get(0));
        return true;
    }
}
