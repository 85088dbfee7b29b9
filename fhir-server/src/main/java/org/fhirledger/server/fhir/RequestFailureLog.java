package org.fhirledger.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log's one line about a failed FHIR request, without any request value: status, method, interaction and
 * resource type. Refusals and bad input (4xx) at INFO, no stack trace; server errors (5xx) at ERROR with the
 * exception's classes and frames but not its messages, which quote request values and database text. HAPI's own
 * logging of these exceptions is kept out of the log ({@link RequestValuesStayOutOfTheLog}).
 */
@Interceptor
public class RequestFailureLog {

    private static final Logger log = LoggerFactory.getLogger(RequestFailureLog.class);

    @Hook(Pointcut.SERVER_HANDLE_EXCEPTION)
    public boolean failed(RequestDetails rd, BaseServerResponseException e) {
        int status = e.getStatusCode();
        String line = "HTTP " + status + " " + rd.getRequestType() + " " + rd.getRestOperationType()
                + (rd.getResourceName() == null ? "" : " " + rd.getResourceName()) + " (request " + rd.getRequestId()
                + ")";
        if (status >= 500) {
            log.error("{}: {}", line, e.getClass().getSimpleName(), withoutMessages(e));
        } else {
            log.info("{}: {}", line, e.getClass().getSimpleName());
        }
        return true;
    }

    /** A copy of the exception and its causes with their classes and frames only. */
    static Throwable withoutMessages(Throwable e) {
        return copy(e, 0);
    }

    private static Throwable copy(Throwable e, int depth) {
        Throwable cause =
                e.getCause() == null || e.getCause() == e || depth > 20 ? null : copy(e.getCause(), depth + 1);
        Throwable bare = new Throwable(e.getClass().getName(), cause, false, true) {
            @Override
            public String toString() {
                return getMessage();
            }
        };
        bare.setStackTrace(e.getStackTrace());
        return bare;
    }
}
