package org.fhirledger.server.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** A HAPI interceptor recording which caller a later interceptor (authorisation, audit) would see. */
public final class CallerProbe {

    private final CallerAccessor callers;
    final AtomicReference<Optional<Caller>> seen = new AtomicReference<>();

    CallerProbe(CallerAccessor callers) {
        this.callers = callers;
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void preHandled(RequestDetails request) {
        seen.set(callers.current());
    }
}
