package org.fhirledger.server.integrity;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * Thin: a page (search, history, _include) from which the {@link IntegrityCheck} withheld versions gets one
 * OperationOutcome entry (search mode "outcome") saying so, without naming them: the client learns that its answer is
 * incomplete, the tamper alarm is in the audit trail.
 */
@Interceptor
public class WithheldFromPage {

    static final String TEXT = "resource(s) withheld from this page: they failed their integrity check (the stored body"
            + " does not match its ledger record); the event is audited";
    private static final String KEY = WithheldFromPage.class.getName();

    static void count(RequestDetails request) {
        request.getUserData().merge(KEY, 1, (a, b) -> (Integer) a + (Integer) b);
    }

    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public void beforeResponse(RequestDetails request, IBaseResource response) {
        Object withheld = request.getUserData().get(KEY);
        if (withheld == null || !(response instanceof Bundle bundle)) return;
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue()
                .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                .setCode(OperationOutcome.IssueType.INCOMPLETE)
                .setDiagnostics(withheld + " " + TEXT);
        bundle.addEntry().setResource(outcome).getSearch().setMode(Bundle.SearchEntryMode.OUTCOME);
    }
}
