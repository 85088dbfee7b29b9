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
import org.hl7.fhir.exceptions.FHIRException;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.ResourceType;

/**
 * What a FHIR Consent means on chain. Mirrored are Consents with scope patient-privacy: the patient
 * ({@code Consent.patient}) permits ({@code provision.type} permit or absent) each actor
 * ({@code provision.actor.reference}, a Practitioner) the actions in {@code provision.action} (access, use,
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
            String ref = a.getReference()
                    .getReferenceElement()
                    .toUnqualifiedVersionless()
                    .getValue();
            if (ref == null || !ref.startsWith("Practitioner/")) {
                throw invalid("provision.actor.reference must name a Practitioner (Practitioner/<id>)");
            }
            actors.add(ref);
        }
        if (actors.isEmpty()) throw invalid("provision.actor must name at least one Practitioner");
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
