package org.fhirledger.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import jakarta.servlet.http.HttpServletRequest;

/**
 * FHIR R4 (http.html#concurrency): a write whose {@code If-Match} names a version that is not current gets
 * 412 Precondition Failed. HAPI reports it as a version conflict (409); only that case is translated, so a
 * 409 for other conflicts (a delete blocked by references) keeps its meaning.
 */
@Interceptor
public class IfMatchPreconditionFailed {

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException translate(
            RequestDetails request, Throwable exception, HttpServletRequest servletRequest) {
        if (exception instanceof ResourceVersionConflictException conflict
                && request.getHeader(Constants.HEADER_IF_MATCH) != null) {
            PreconditionFailedException failed = new PreconditionFailedException(conflict.getMessage());
            failed.setOperationOutcome(conflict.getOperationOutcome());
            return failed;
        }
        return null;
    }
}
