package org.fhirledger.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import jakarta.persistence.PersistenceException;
import java.sql.SQLException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.DataException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;

/** The translation of database failures, on the exceptions H2 and PostgreSQL raise (the API suites run them live). */
class DatabaseErrorsTest {

    private static final String VALUE = "Smith-1961-03-17";

    @Test
    void aUniqueKeyViolationIsA409WithoutDatabaseText() {
        SQLException sql = new SQLException(
                "Unique index or primary key violation: \"PUBLIC.IDX ON PUBLIC.HFJ_RES_SEARCH_URL"
                        + "(RES_SEARCH_URL) VALUES ( /* 1 */ 'Patient?identifier=" + VALUE + "' )\"",
                "23505");
        Throwable e = new DataIntegrityViolationException(
                "could not execute statement [" + sql.getMessage() + "]",
                new ConstraintViolationException("could not execute statement", sql, "insert into HFJ_RES_SEARCH_URL"));
        assertClean(DatabaseErrors.translate(e), 409);
    }

    @Test
    void aConflictWhoseMessageQuotesTheDatabaseIsCleanedEvenWithoutItsCause() {
        assertClean(
                DatabaseErrors.translate(new ResourceVersionConflictException("HAPI-0550: could not execute statement "
                        + "[ERROR: duplicate key value violates unique constraint \"idx_x\" Detail: Key (v)=(" + VALUE
                        + ")]")),
                409);
    }

    /** What HAPI throws when concurrent conditional creates clash on its search-URL index at commit. */
    @Test
    void hapisConditionalConstraintFailureIsTheCleanConflict() {
        BaseServerResponseException clean = DatabaseErrors.translate(new ResourceVersionConflictException(
                "HAPI-0550: HAPI-2745: The operation has failed with a conditional constraint failure. This generally"
                        + " means that two clients/threads were trying to perform a conditional create or update at"
                        + " the same time which would have resulted in duplicate resources being created."));
        assertClean(clean, 409);
        assertThat(clean.getMessage()).doesNotContainIgnoringCase("constraint");
    }

    @Test
    void aValueTooLongIsA422WithoutDatabaseText() {
        SQLException h2 = new SQLException(
                "Value too long for column \"SP_UNITS CHARACTER VARYING(200)\": \"'" + VALUE
                        + "...' (300)\"; SQL statement: insert into HFJ_SPIDX_QUANTITY ...",
                "22001");
        assertClean(
                DatabaseErrors.translate(new PersistenceException(
                        "could not execute batch [" + h2.getMessage() + "]",
                        new DataException("could not execute batch", h2))),
                422);
        SQLException pg = new SQLException("ERROR: value too long for type character varying(200)", "22001");
        assertClean(DatabaseErrors.translate(new RuntimeException(new DataException("x", pg))), 422);
    }

    @Test
    void otherDatabaseFailuresAreA500WithoutText() {
        SQLException sql = new SQLException("Syntax error in SQL statement \"select '" + VALUE + "'\"", "42000");
        assertClean(DatabaseErrors.translate(new PersistenceException(sql.getMessage(), sql)), 500);
    }

    @Test
    void anythingElseIsLeftToHapi() {
        assertThat(DatabaseErrors.translate(new InvalidRequestException("HAPI-1940: Invalid date/time format")))
                .isNull();
        assertThat(DatabaseErrors.translate(new IllegalStateException("no database here")))
                .isNull();
        // HAPI's own clean refusal keeps its status and message, even when a database exception caused it
        ResourceVersionConflictException hapi = new ResourceVersionConflictException(
                "HAPI-0825: The operation has failed with a version constraint failure");
        hapi.initCause(new ConstraintViolationException("x", new SQLException("x", "23505"), "x"));
        assertThat(DatabaseErrors.translate(hapi)).isNull();
    }

    private static void assertClean(BaseServerResponseException e, int status) {
        assertThat(e).isNotNull();
        assertThat(e.getStatusCode()).isEqualTo(status);
        assertThat(e.getMessage())
                .doesNotContain(VALUE)
                .doesNotContainIgnoringCase("sql")
                .doesNotContainIgnoringCase("varying");
        assertThat(e.getCause()).isNull();
    }
}
