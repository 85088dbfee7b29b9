package org.fhirledger.server.authz;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.time.Duration;
import org.fhirledger.server.fhir.InterceptorOrder;

/** Adds Retry-After to every "ledger unavailable" 503, so clients back off instead of piling up retries. */
@Interceptor(order = InterceptorOrder.AUTHORIZATION)
public final class RetryAfter {
    private final String seconds;

    public RetryAfter(Duration retryAfter) {
        this.seconds = Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
    }

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException onException(Throwable exception) {
        if (exception instanceof AuthorizationUnavailableException e
                && (e.getResponseHeaders() == null || !e.getResponseHeaders().containsKey("Retry-After"))) {
            e.addResponseHeader("Retry-After", seconds);
        }
        return null; // keep the exception as it is
    }
}
