package org.fhirledger.server.authz;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.util.List;
import java.util.regex.Pattern;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.Caller;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;

/**
 * The patients a caller may see, for those outside the FHIR API that must ask (the dev authorisation server's
 * patient picker): the same answer as the caller's own {@code GET /fhir/Patient}, and the same check as a read.
 */
public final class VisiblePatients {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private final ChainAuthority chain;
    private final AccessPolicy policy;
    private final ConditionalCriteria criteria;
    private final DaoRegistry daos;

    VisiblePatients(ChainAuthority chain, AccessPolicy policy, ConditionalCriteria criteria, DaoRegistry daos) {
        this.chain = chain;
        this.policy = policy;
        this.criteria = criteria;
        this.daos = daos;
    }

    /** The ids of the patients the caller may see ("my patients"); a patient's own only. */
    public List<String> of(Caller caller) {
        Subject s = chain.subject(caller);
        if (s.has(Role.CUSTODIAN) || !(s.has(Role.CLINICIAN) || s.has(Role.PATIENT))) return List.of();
        return criteria.visiblePatients(s);
    }

    /** Whether the caller may read this patient; false as well for an id no patient has (not there: not yours). */
    public boolean maySee(Caller caller, String patientId) {
        if (patientId == null || !ID.matcher(patientId).matches()) return false;
        IBaseResource patient;
        try {
            patient = daos.getResourceDao("Patient").read(new IdType("Patient", patientId), new SystemRequestDetails());
        } catch (BaseServerResponseException e) {
            return false;
        }
        return policy.canSee(chain.subject(caller), patient).allowed();
    }
}
