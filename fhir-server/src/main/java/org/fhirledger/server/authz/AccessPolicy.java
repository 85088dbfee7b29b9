package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import java.util.Set;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.record.AuditShape;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Reference;

/**
 * Who may see and change which resources (docs/security.md#authorisation):
 * <ul>
 *   <li>CUSTODIAN (an institution's EHR system) everything; AUDITOR AuditEvents and the directory types;</li>
 *   <li>ADMIN the directory types (Practitioner, Organization, Location, ...) and the definitions (SearchParameter,
 *       StructureDefinition, ValueSet, ...), no patient data;</li>
 *   <li>CLINICIAN patient data of patients whose consent on chain names them for that action and type, or whose
 *       break-glass window they opened; new patients; non-patient types other than the directory;</li>
 *   <li>PATIENT their own compartment (read), their own Consents (write), AuditEvents about them.</li>
 * </ul>
 * Whose data a resource is comes from its content ({@link Compartments#ownership}); a resource in several
 * patients' data needs access to every one of them, and one whose patient cannot be established is the
 * custodian's only.
 */
public final class AccessPolicy {

    /** Not clinical: who works where. Maintained by ADMIN, readable by every role. */
    public static final Set<String> DIRECTORY_TYPES = Set.of(
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "Location",
            "Endpoint",
            "HealthcareService",
            "OrganizationAffiliation");

    /**
     * Conformance and infrastructure, and the executable knowledge artifacts: how the server reads, indexes,
     * validates and evaluates everything else (a SearchParameter changes every search of its type). Written by
     * ADMIN (and the custodian), read by every role that reads non-patient data; per resource still patient data if
     * one happens to point at a patient.
     */
    public static final Set<String> DEFINITION_TYPES = Set.of(
            "SearchParameter",
            "StructureDefinition",
            "StructureMap",
            "CodeSystem",
            "ValueSet",
            "ConceptMap",
            "NamingSystem",
            "TerminologyCapabilities",
            "CapabilityStatement",
            "OperationDefinition",
            "CompartmentDefinition",
            "ImplementationGuide",
            "GraphDefinition",
            "MessageDefinition",
            "ExampleScenario",
            "Library",
            "TestScript",
            "ActivityDefinition",
            "PlanDefinition",
            "Measure",
            "EventDefinition",
            "ResearchDefinition",
            "ResearchElementDefinition",
            "Evidence",
            "EvidenceVariable",
            "EffectEvidenceSynthesis",
            "RiskEvidenceSynthesis",
            "ChargeItemDefinition");

    /**
     * The custodian's only: containers that may hold anyone's data without belonging to a compartment, and
     * Subscriptions (which would send matching resources, of any patient, to an endpoint of the writer's choosing).
     */
    static final Set<String> CUSTODIAN_ONLY_TYPES = Set.of("Bundle", "Binary", "Subscription");

    private final FhirContext ctx;
    private final Compartments compartments;
    private final ChainAuthority chain;
    private final BreakGlassWindows breakGlass;

    public AccessPolicy(
            FhirContext ctx, Compartments compartments, ChainAuthority chain, BreakGlassWindows breakGlass) {
        this.ctx = ctx;
        this.compartments = compartments;
        this.chain = chain;
        this.breakGlass = breakGlass;
    }

    public Compartments compartments() {
        return compartments;
    }

    /** May the subject see this resource (read, vread, search result, include, history entry)? */
    public Decision canSee(Subject s, IBaseResource resource) {
        return canSee(s, resource, false);
    }

    /**
     * As {@link #canSee(Subject, IBaseResource)}, for a version just read from this server's database (never content
     * a client sent, nor another server's): see {@link Compartments#ownershipOfStored}.
     */
    public Decision canSeeStored(Subject s, IBaseResource resource) {
        return canSee(s, resource, true);
    }

    private Decision canSee(Subject s, IBaseResource resource, boolean stored) {
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        String type = ctx.getResourceType(resource);
        if ("AuditEvent".equals(type)) {
            if (s.has(Role.AUDITOR)) return Decision.ALLOW;
            String self = s.patientId();
            if (self != null && resource instanceof AuditEvent ae && isAboutPatient(ae, self)) return Decision.ALLOW;
            return Decision.deny("AuditEvents are for auditors, and for a patient those about themselves");
        }
        if (CUSTODIAN_ONLY_TYPES.contains(type)) return Decision.deny(type + " resources are the custodian's only");
        Compartments.Ownership o = stored ? compartments.ownershipOfStored(resource) : compartments.ownership(resource);
        if (o.unresolved() || o.pending()) return unresolved(type);
        if (!o.patients().isEmpty() || compartments.isPatientData(type)) {
            return patientData(s, type, o.patients(), ConsentAction.READ);
        }
        if (DIRECTORY_TYPES.contains(type)) return Decision.ALLOW;
        return s.has(Role.CLINICIAN) || s.has(Role.PATIENT) || s.has(Role.ADMIN)
                ? Decision.ALLOW
                : Decision.deny("this role reads no " + type);
    }

    /**
     * May the subject store this content (creating), or change or delete the resource that has it? For an update
     * the policy is asked for both the old and the new content, so nothing moves into or out of a compartment
     * the subject may not write.
     */
    public Decision canWrite(Subject s, IBaseResource resource, boolean creating) {
        return canWrite(s, resource, creating, false);
    }

    /**
     * As {@link #canWrite(Subject, IBaseResource, boolean)}, for the content as it is committed: its placeholder
     * and conditional references are replaced by then, and one still there cannot be established.
     */
    public Decision canCommit(Subject s, IBaseResource resource, boolean creating) {
        return canWrite(s, resource, creating, true);
    }

    private Decision canWrite(Subject s, IBaseResource resource, boolean creating, boolean committing) {
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        String type = ctx.getResourceType(resource);
        if ("AuditEvent".equals(type)) return Decision.deny("AuditEvents are written by the server only");
        if ("Consent".equals(type)) {
            String self = s.patientId();
            Compartments.Ownership o = compartments.ownership(resource);
            return self != null
                            && !o.unresolved()
                            && !(committing && o.pending())
                            && o.patients().equals(Set.of(self))
                    ? Decision.ALLOW
                    : Decision.deny("a Consent is written by the patient it belongs to (Consent.patient)");
        }
        if (DIRECTORY_TYPES.contains(type)) {
            return s.has(Role.ADMIN) ? Decision.ALLOW : Decision.deny(type + " resources are maintained by ADMIN");
        }
        if (DEFINITION_TYPES.contains(type)) {
            return s.has(Role.ADMIN)
                    ? Decision.ALLOW
                    : Decision.deny(type + " resources define how the server works: maintained by ADMIN");
        }
        if (CUSTODIAN_ONLY_TYPES.contains(type)) return Decision.deny(type + " resources are the custodian's only");
        if (!s.has(Role.CLINICIAN)) return Decision.deny("this role writes no " + type);
        if ("Patient".equals(type) && creating) return Decision.ALLOW; // a new patient has no consent yet
        Compartments.Ownership o = compartments.ownership(resource);
        // a placeholder is checked again at commit, when it names what it stands for
        if (o.unresolved() || (committing && o.pending())) return unresolved(type);
        if (!o.patients().isEmpty() || compartments.isPatientData(type)) {
            return patientData(s, type, o.patients(), ConsentAction.WRITE);
        }
        return Decision.ALLOW;
    }

    /** Default-deny: data whose patient cannot be established may be anyone's. */
    private static Decision unresolved(String type) {
        return Decision.deny("whose data this " + type + " is cannot be established (a contained Patient, a reference "
                + "by display, by an identifier no stored Patient has, or to a resource not stored here): the "
                + "custodian's only; reference the patient as Patient/<id>");
    }

    /** May the subject read resources of this type in this patient's compartment (search scoping)? */
    public Decision canReadPatient(Subject s, String patientId, String type) {
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        return patientData(s, type, Set.of(patientId), ConsentAction.READ);
    }

    private Decision patientData(Subject s, String type, Set<String> owners, ConsentAction action) {
        String self = s.patientId();
        if (self != null && action == ConsentAction.READ && !owners.isEmpty() && owners.equals(Set.of(self))) {
            return Decision.ALLOW;
        }
        if (!s.has(Role.CLINICIAN)) {
            return Decision.deny(
                    s.has(Role.PATIENT)
                            ? "a patient " + (action == ConsentAction.READ ? "reads" : "writes")
                                    + " only their own data"
                                    + (self == null
                                            ? " (the token's fhirUser is not this account's " + "Patient on the ledger)"
                                            : "")
                            : "this role has no access to patient data");
        }
        Decision d = Decision.ALLOW;
        for (String patient : owners) {
            if (chain.consents(patient, s.address(), action, type)) continue;
            if (breakGlass.isOpen(s.address(), patient)) {
                d = d.and(Decision.allowByBreakGlass());
                continue;
            }
            return Decision.deny("no active consent of the patient allows this clinician to "
                    + (action == ConsentAction.READ ? "read" : "write") + " " + type);
        }
        return d;
    }

    /** The patient is an entity of the event, or its agent (their own actions): what AuditEvent?patient= finds. */
    static boolean isAboutPatient(AuditEvent ae, String patientId) {
        for (AuditEvent.AuditEventAgentComponent a : ae.getAgent()) {
            if (a.getWho().hasReference()
                    && ("Patient/" + patientId)
                            .equals(a.getWho()
                                    .getReferenceElement()
                                    .toUnqualifiedVersionless()
                                    .getValue())) {
                return true;
            }
        }
        for (AuditEvent.AuditEventEntityComponent e : ae.getEntity()) {
            if (!e.getRole().is(AuditShape.OBJECT_ROLE_SYSTEM, AuditShape.ROLE_PATIENT)) continue;
            Reference what = e.getWhat();
            String ref = what.hasReference()
                    ? what.getReferenceElement().toUnqualifiedVersionless().getValue()
                    : what.getIdentifier().getValue();
            if (("Patient/" + patientId).equals(ref)) return true;
        }
        return false;
    }
}
