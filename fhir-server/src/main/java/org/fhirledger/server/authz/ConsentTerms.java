package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.server.record.AuditShape;
import org.hl7.fhir.exceptions.FHIRException;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.ResourceType;

/**
 * What a FHIR Consent means on chain. Mirrored are Consents with scope patient-privacy: the patient
 * ({@code Consent.patient}) permits ({@code provision.type} permit or absent) each actor
 * ({@code provision.actor.reference}: a Practitioner here, {@code Practitioner/<id>}, or a clinician named by ledger
 * account, a logical reference whose {@code identifier} has the system {@link #LEDGER_ADDRESS_SYSTEM}: another member's
 * clinician, who has no Practitioner here) the actions in {@code provision.action} (access, use,
 * disclose: READ; correct, collect: WRITE; none: READ) on the resource types in {@code provision.class} (none: all)
 * until {@code provision.period.end} (none: until revoked). Status active grants; inactive, rejected and
 * entered-in-error revoke; draft and proposed have no effect yet.
 */
public record ConsentTerms(
        String patientId, List<String> actors, int actions, BigInteger resourceTypes, Instant expiry, Effect effect) {

    public enum Effect {
        GRANT,
        REVOKE,
        NONE
    }

    public static final String SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope";
    public static final String ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction";
    public static final String RESOURCE_TYPE_SYSTEM = "http://hl7.org/fhir/resource-types";
    /** The identifier system of a ledger account (as in AuditEvents' agents). */
    public static final String LEDGER_ADDRESS_SYSTEM = AuditShape.LEDGER_ADDRESS_SYSTEM;

    private static final java.util.regex.Pattern ADDRESS = java.util.regex.Pattern.compile("0x[0-9a-fA-F]{40}");
    /** "Until revoked": the latest time the contract's uint64 and Java's Instant both hold comfortably. */
    public static final Instant UNTIL_REVOKED = Instant.parse("9999-12-31T23:59:59Z");

    /** Whether the Consent is one this server mirrors to the chain (patient-privacy scope). */
    public static boolean isMirrored(Consent c) {
        for (Coding coding : c.getScope().getCoding()) {
            if (SCOPE_SYSTEM.equals(coding.getSystem()) && "patient-privacy".equals(coding.getCode())) return true;
        }
        return false;
    }

    /** The terms of a stored Consent, without checking its period against the clock. */
    public static ConsentTerms stored(Consent c) {
        return of(c, null);
    }

    /** The terms, or a 422 saying what is wrong with a mirrored Consent (its period checked against now). */
    public static ConsentTerms of(Consent c, Instant now) {
        String patient =
                c.getPatient().getReferenceElement().toUnqualifiedVersionless().getValue();
        if (patient == null || !patient.startsWith("Patient/")) {
            throw invalid("Consent.patient must reference the Patient (Patient/<id>)");
        }
        Effect effect = switch (c.getStatus() == null ? Consent.ConsentState.NULL : c.getStatus()) {
            case ACTIVE -> Effect.GRANT;
            case INACTIVE, REJECTED, ENTEREDINERROR -> Effect.REVOKE;
            case DRAFT, PROPOSED -> Effect.NONE;
            default -> throw invalid("Consent.status is required");
        };
        Consent.ProvisionComponent p = c.getProvision();
        if (p.hasType() && p.getType() != Consent.ConsentProvisionType.PERMIT) {
            throw invalid("only permit provisions are supported (provision.type = permit): access is denied unless "
                    + "permitted, so deny provisions are not needed");
        }
        if (p.hasProvision()) throw invalid("nested provisions are not supported");
        if (p.hasData()) throw invalid("provision.data (consent for single resources) is not supported");
        List<String> actors = new ArrayList<>();
        for (Consent.provisionActorComponent a : p.getActor()) {
            actors.add(actor(a.getReference()));
        }
        if (actors.isEmpty()) throw invalid("provision.actor must name at least one Practitioner or ledger account");
        int actions = 0;
        for (CodeableConcept action : p.getAction()) {
            for (Coding coding : action.getCoding()) {
                if (!ACTION_SYSTEM.equals(coding.getSystem())) continue;
                actions |= switch (coding.getCode() == null ? "" : coding.getCode()) {
                    case "access", "use", "disclose" -> ConsentAction.READ.bit();
                    case "correct", "collect" -> ConsentAction.WRITE.bit();
                    default -> throw invalid("unknown provision.action code " + coding.getCode());
                };
            }
        }
        if (actions == 0) actions = ConsentAction.READ.bit();
        Set<String> types = new LinkedHashSet<>();
        for (Coding cls : p.getClass_()) {
            if (!RESOURCE_TYPE_SYSTEM.equals(cls.getSystem()) || cls.getCode() == null) {
                throw invalid("provision.class must be resource types (" + RESOURCE_TYPE_SYSTEM + ")");
            }
            if (now != null && !isResourceType(cls.getCode())) { // stored ones are read as they were accepted
                throw invalid("provision.class " + cls.getCode() + " is not a FHIR R4 resource type");
            }
            types.add(cls.getCode());
        }
        BigInteger mask = types.isEmpty() ? ResourceTypes.ALL : ResourceTypes.maskOf(List.copyOf(types));
        Instant expiry = p.getPeriod().hasEnd() ? p.getPeriod().getEnd().toInstant() : UNTIL_REVOKED;
        if (now != null && effect == Effect.GRANT && !expiry.isAfter(now))
            throw invalid("provision.period.end is in the past");
        if (now != null
                && effect == Effect.GRANT
                && p.getPeriod().hasStart()
                && p.getPeriod().getStart().toInstant().isAfter(now)) {
            throw invalid("a provision.period starting in the future is not supported: create the Consent then");
        }
        return new ConsentTerms(
                patient.substring("Patient/".length()), List.copyOf(actors), actions, mask, expiry, effect);
    }

    /**
     * An actor as the mirror keys it: {@code Practitioner/<id>}, or a ledger account in lower case. A literal
     * reference wins over an identifier, so a Consent stored before accounts were accepted keeps its meaning.
     */
    private static String actor(org.hl7.fhir.r4.model.Reference reference) {
        String ref = reference.getReferenceElement().toUnqualifiedVersionless().getValue();
        if (ref != null) {
            if (!ref.startsWith("Practitioner/")) {
                throw invalid("provision.actor.reference must name a Practitioner (Practitioner/<id>) or a ledger "
                        + "account (identifier " + LEDGER_ADDRESS_SYSTEM + ")");
            }
            return ref;
        }
        org.hl7.fhir.r4.model.Identifier id = reference.getIdentifier();
        if (!LEDGER_ADDRESS_SYSTEM.equals(id.getSystem())) {
            throw invalid("provision.actor.reference must name a Practitioner (Practitioner/<id>) or a ledger "
                    + "account (identifier " + LEDGER_ADDRESS_SYSTEM + ")");
        }
        if (id.getValue() == null || !ADDRESS.matcher(id.getValue()).matches()) {
            throw invalid("provision.actor.reference.identifier must be a ledger address (0x and 40 hex digits)");
        }
        return id.getValue().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether an actor of {@link #actors()} is a ledger account (else a {@code Practitioner/<id>}). */
    public static boolean isAccount(String actor) {
        return actor.startsWith("0x");
    }

    private static boolean isResourceType(String code) {
        try {
            ResourceType.fromCode(code);
            return true;
        } catch (FHIRException e) {
            return false;
        }
    }

    private static UnprocessableEntityException invalid(String message) {
        return new UnprocessableEntityException("Consent not accepted: " + message);
    }
}
