package org.fhirledger.server.audit;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.integrity.IntegrityFailureAudit;

/**
 * With the audit trail on, a failed integrity check is told in the refused request's own AuditEvent (outcome 8,
 * naming the version), so the request has one AuditEvent, not two. That event is written when HAPI handles the
 * refusal, outside the rolled-back transaction.
 */
public final class IntegrityFailureInTheAudit implements IntegrityFailureAudit {

    static final String TEXT = "integrity check failed: the stored version does not match its ledger record";

    @Override
    public void integrityFailed(RequestDetails request, String resourceType, String id, long version) {
        RequestState state = RequestState.of(request);
        if (state != null)
            state.failure(
                    TEXT + " (" + resourceType + "/" + id + "/_history/" + version + ")", resourceType + "/" + id);
    }
}
