package org.fhirledger.server.fhir;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Keeps the libraries' own reports of a failed request out of the log: HAPI logs every exception an interceptor
 * throws (each refusal) at ERROR with its stack trace, and the message of a refusal or of bad input quotes request
 * values (a malformed birth date, say). {@link RequestFailureLog} writes the one line such a request gets. Database
 * errors, which quote values too, are silenced by logger level (application.yaml) and translated by
 * {@link DatabaseErrors}.
 */
public final class RequestValuesStayOutOfTheLog extends TurboFilter {

    private static final String INTERCEPTOR_SERVICE = "ca.uhn.fhir.interceptor.executor.BaseInterceptorService";

    /** Adds the filter to logback once (a logging re-initialisation drops it; the next start adds it again). */
    public static void install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
        synchronized (RequestValuesStayOutOfTheLog.class) {
            if (context.getTurboFilterList().stream().noneMatch(f -> f instanceof RequestValuesStayOutOfTheLog)) {
                RequestValuesStayOutOfTheLog filter = new RequestValuesStayOutOfTheLog();
                filter.setContext(context);
                filter.start();
                context.addTurboFilter(filter);
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (logger.getName().startsWith("org.fhirledger.")) return FilterReply.NEUTRAL;
        Throwable thrown = t != null
                ? t
                : params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last
                        ? last
                        : null;
        BaseServerResponseException response = responseException(thrown);
        if (response == null) return FilterReply.NEUTRAL;
        // a request failure: RequestFailureLog has its line (any status when HAPI's interceptor service rethrows it)
        if (response.getStatusCode() < 500 || INTERCEPTOR_SERVICE.equals(logger.getName())) return FilterReply.DENY;
        return FilterReply.NEUTRAL;
    }

    private static BaseServerResponseException responseException(Throwable thrown) {
        int depth = 0;
        for (Throwable e = thrown; e != null && depth++ < 20; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof BaseServerResponseException b) return b;
        }
        return null;
    }
}
