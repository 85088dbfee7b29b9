package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;

/** The chain could not be asked and no fresh enough answer is cached: deny, as 503 so the client retries. */
public class AuthorizationUnavailableException extends BaseServerResponseException {
    public AuthorizationUnavailableException(String message, Throwable cause) {
        super(503, message, cause);
    }
}
