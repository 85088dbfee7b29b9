package org.fhirledger.server.authz;

import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * The answers a refusal gives. A refusal the caller must not be able to tell from "not there" is built exactly as
 * HAPI builds the answer for a missing id or an unknown page (same status, same text), so both read alike.
 */
public final class Refusals {

    private Refusals() {}

    public static ForbiddenOperationException forbidden(String reason) {
        return withIssue(new ForbiddenOperationException("Access denied: " + reason), IssueType.FORBIDDEN);
    }

    /** As HAPI answers a read, history or write of an id it does not hold. */
    public static ResourceNotFoundException notKnown(String type, String id) {
        return withIssue(
                new ResourceNotFoundException(Msg.code(2001) + "Resource " + type + "/" + id + " is not known"),
                IssueType.NOTFOUND);
    }

    /** As HAPI answers {@code _getpages} with a search id it does not hold (PageMethodBinding). */
    static ResourceGoneException unknownPage(String searchId) {
        return new ResourceGoneException(
                Msg.code(417) + "Search ID \"" + searchId + "\" does not exist and may have expired");
    }

    /**
     * HAPI answers every exception with issue type {@code processing}: a refusal says {@code forbidden} and an
     * unknown id {@code not-found}, whether HAPI or this server raised it (a refused read built as a missing one
     * stays identical to HAPI's own). Null when the exception is left as it is.
     */
    static BaseServerResponseException typed(BaseServerResponseException e) {
        if (e.getOperationOutcome() != null) return null;
        if (e instanceof ForbiddenOperationException) return withIssue(e, IssueType.FORBIDDEN);
        if (e instanceof ResourceNotFoundException) return withIssue(e, IssueType.NOTFOUND);
        return null;
    }

    /** The OperationOutcome HAPI would build for the exception, with the issue type that says what happened. */
    static <E extends BaseServerResponseException> E withIssue(E e, IssueType type) {
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue()
                .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                .setCode(type)
                .setDiagnostics(e.getMessage());
        e.setOperationOutcome(oo);
        return e;
    }
}
