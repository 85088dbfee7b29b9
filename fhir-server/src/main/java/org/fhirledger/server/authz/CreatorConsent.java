package org.fhirledger.server.authz;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.fhir.InterceptorOrder;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;

/**
 * A clinician who registers a patient treats them: in the same transaction the server stores a Consent (scope
 * patient-privacy, read and write, for authorization.creator-consent-duration) naming that clinician, which
 * {@link ConsentMirror} puts on chain like any other. It is an ordinary Consent: the patient sees it in their
 * compartment and may set it inactive. A clinician whose Practitioner resource is not in the directory is refused
 * the registration, before anything is stored.
 */
@Interceptor(order = InterceptorOrder.AUTHORIZATION)
public final class CreatorConsent {
    public static final String POLICY = "https://fhir-ledger.org/consent-policy/registering-clinician";

    private final DaoRegistry daos;
    private final Duration duration;
    private final Clock clock;

    public CreatorConsent(DaoRegistry daos, Duration duration, Clock clock) {
        this.daos = daos;
        this.duration = duration;
        this.clock = clock;
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void patientCreated(IBaseResource resource, RequestDetails rd) {
        if (!(resource instanceof Patient patient) || rd == null || rd instanceof SystemRequestDetails) return;
        if (duration.isZero()) return;
        RequestState state = RequestState.of(rd);
        Subject s = state == null ? null : state.subject();
        if (s == null
                || !s.has(Role.CLINICIAN)
                || s.fhirUser() == null
                || !s.fhirUser().startsWith("Practitioner/")) return;
        if (!exists(new IdType(s.fhirUser()))) {
            // Without it no Consent can name them: they would register a patient they cannot see, and be told so
            // only after the commit (a refusal, or a 503 in an outage). Refused before anything is stored instead.
            String reason = "a clinician registers a patient once their Practitioner resource is in the directory "
                    + "(an ADMIN adds it): no creator consent could name them. Nothing was stored";
            if (state != null) state.denial(reason);
            throw Refusals.forbidden(reason);
        }
        Consent c = new Consent();
        c.setStatus(Consent.ConsentState.ACTIVE);
        c.setScope(new CodeableConcept(new Coding(ConsentTerms.SCOPE_SYSTEM, "patient-privacy", "Privacy Consent")));
        c.addCategory(new CodeableConcept(new Coding("http://loinc.org", "59284-0", "Patient Consent")));
        c.setPatient(new Reference("Patient/" + patient.getIdElement().getIdPart()));
        c.setDateTime(Date.from(clock.instant()));
        c.addPolicy().setUri(POLICY);
        Consent.ProvisionComponent p = c.getProvision();
        p.setType(Consent.ConsentProvisionType.PERMIT);
        p.setPeriod(new Period()
                .setStart(Date.from(clock.instant()))
                .setEnd(Date.from(clock.instant().plus(duration))));
        p.addActor()
                .setReference(new Reference(s.fhirUser()))
                .setRole(new CodeableConcept(new Coding(
                        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                        "PRCP",
                        "primary information recipient")));
        p.addAction(new CodeableConcept(new Coding(ConsentTerms.ACTION_SYSTEM, "access", "Access")));
        p.addAction(new CodeableConcept(new Coding(ConsentTerms.ACTION_SYSTEM, "correct", "Access and Correct")));
        daos.getResourceDao(Consent.class).create(c, new SystemRequestDetails());
    }

    private boolean exists(IdType id) {
        try {
            daos.getResourceDao(Practitioner.class).read(id, new SystemRequestDetails());
            return true;
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            return false;
        }
    }
}
