package org.fhirledger.server.outbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;
import java.util.Set;

/**
 * With the ledger on, every stored version is recorded with its content hash, so nothing may change or remove a
 * version without writing a new one: {@code $meta-add} and {@code $meta-delete} (at instance and version level)
 * change the tags of a stored version in place, {@code $expunge} removes versions the ledger records. They are
 * refused (405) before HAPI runs them; a tag change is an update.
 */
@Interceptor
public class InPlaceChangeRefusal {

    /** The operations refused, also left out of the CapabilityStatement. */
    public static final Set<String> OPERATIONS = Set.of("$meta-add", "$meta-delete", "$expunge");

    static final String MESSAGE = "This operation would change or remove a stored version without a new version, and"
            + " every version is recorded on the ledger: $meta-add, $meta-delete and $expunge are not supported. Update"
            + " the resource instead.";

    static boolean changesInPlace(String operation) {
        return operation != null && OPERATIONS.contains(operation);
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void beforeHandling(RequestDetails request) {
        if (changesInPlace(request.getOperation())) throw new MethodNotAllowedException(MESSAGE);
    }
}
