package org.fhirledger.server.fhir;

/**
 * Where each feature's request interceptors run relative to the others' (HAPI calls the hooks of one pointcut from
 * the lowest order up; equal orders in registration order). Each feature config registers its own interceptors;
 * these orders, not the order of the configs, decide who sees a request first.
 */
public final class InterceptorOrder {

    /** Authorisation decides first: nothing is shown, stored or answered for a request it has not checked. */
    public static final int AUTHORIZATION = 0;

    /** Features that answer a checked request themselves (erased resources): a caller refused learns nothing here. */
    public static final int AFTER_AUTHORIZATION = 100;

    /**
     * The audit trail last: it records what the others decided (a refusal, a failure, what was shown or changed).
     * Still before HAPI's ResponseHighlighterInterceptor (10000), which ends the response for a browser.
     */
    public static final int AUDIT = 1000;

    private InterceptorOrder() {}
}
