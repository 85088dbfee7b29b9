package org.fhirledger.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import jakarta.persistence.PersistenceException;
import java.sql.SQLException;
import org.hibernate.HibernateException;
import org.springframework.dao.DataAccessException;

/**
 * A failure of the database layer reaches the client as a plain OperationOutcome without a word of database text
 * (which quotes the request's values and the SQL): a value too long for a column is 422, a unique or other
 * integrity violation (e.g. a concurrent conditional create) 409, a lost connection 503, anything else a bare 500.
 * The replacement carries no cause, so neither the response nor a log line built from it holds that text.
 */
@Interceptor
public class DatabaseErrors {

    static final String TOO_LONG = "A value is too long to be stored; shorten it.";
    static final String CONFLICT = "The request conflicts with data stored at the same time (a uniqueness rule of the "
            + "database); retry it, or check what is stored now.";
    static final String UNAVAILABLE = "The database is not reachable; retry later.";
    static final String OUT_OF_RANGE = "A value cannot be stored: it is outside what the database accepts.";
    static final String FAILED = "The database could not complete the request.";

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException translate(RequestDetails request, Throwable exception) {
        return translate(exception);
    }

    /** The clean replacement of a database failure, or null when the exception did not come from the database. */
    public static BaseServerResponseException translate(Throwable exception) {
        if (!fromDatabase(exception)) return null;
        BaseServerResponseException own = exception instanceof BaseServerResponseException b ? b : null;
        // HAPI's own refusals keep their clean message, whatever caused them
        if (own != null && own.getStatusCode() < 500 && !quotesDatabase(own.getMessage())) return null;
        String state = sqlState(exception);
        if (state == null && mentions(exception, TOO_LONG_TEXT)) state = "22001"; // the cause was dropped on the way
        if (state != null && state.startsWith("22")) {
            return new UnprocessableEntityException(state.equals("22001") ? TOO_LONG : OUT_OF_RANGE);
        }
        if ((state != null && (state.startsWith("23") || state.startsWith("40")))
                || has(exception, org.hibernate.exception.ConstraintViolationException.class)
                || has(exception, org.springframework.dao.DataIntegrityViolationException.class)
                || has(exception, org.springframework.dao.ConcurrencyFailureException.class)
                || (own != null && own.getStatusCode() == 409)) {
            return new ResourceVersionConflictException(CONFLICT);
        }
        if ((state != null && state.startsWith("08"))
                || has(exception, org.springframework.dao.DataAccessResourceFailureException.class)
                || has(exception, org.springframework.transaction.CannotCreateTransactionException.class)) {
            return new BaseServerResponseException(503, UNAVAILABLE) {};
        }
        if (own != null && own.getStatusCode() < 500)
            return new BaseServerResponseException(own.getStatusCode(), FAILED) {};
        return new InternalErrorException(FAILED);
    }

    // what database text looks like when another layer copied it into its own message without the cause
    private static final java.util.regex.Pattern DATABASE_TEXT = java.util.regex.Pattern.compile(
            "SQL statement|SQL \\[|SQLState|could not execute|constraint \\[|Unique index or primary key violation"
                    + "|duplicate key value|Value too long for column|value too long for type|violates .* constraint"
                    + "|Referential integrity constraint"
                    // HAPI's word for a unique-index clash of concurrent conditional creates, met at commit
                    + "|conditional constraint failure",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    private static final java.util.regex.Pattern TOO_LONG_TEXT =
            java.util.regex.Pattern.compile("value too long", java.util.regex.Pattern.CASE_INSENSITIVE);

    private static boolean mentions(Throwable exception, java.util.regex.Pattern text) {
        int depth = 0;
        for (Throwable t = exception; t != null && depth++ < 50; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && text.matcher(t.getMessage()).find()) return true;
        }
        return false;
    }

    private static boolean quotesDatabase(String message) {
        return message != null && DATABASE_TEXT.matcher(message).find();
    }

    /** Anything in the cause chain is JDBC, JPA, Hibernate or Spring data access, or quotes database text. */
    static boolean fromDatabase(Throwable exception) {
        int depth = 0;
        for (Throwable t = exception; t != null && depth++ < 50; t = t.getCause() == t ? null : t.getCause()) {
            if (quotesDatabase(t.getMessage())) return true;
        }
        return has(exception, SQLException.class)
                || has(exception, PersistenceException.class)
                || has(exception, HibernateException.class)
                || has(exception, DataAccessException.class)
                || has(exception, org.springframework.transaction.TransactionException.class);
    }

    /** The first SQLState in the cause chain (and in chained SQLExceptions), e.g. 22001 or 23505. */
    static String sqlState(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (s.getSQLState() != null) return s.getSQLState();
                }
            }
        }
        return null;
    }

    private static boolean has(Throwable exception, Class<? extends Throwable> type) {
        int depth = 0;
        for (Throwable t = exception; t != null && depth++ < 50; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) return true;
        }
        return false;
    }
}
