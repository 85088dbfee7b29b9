package org.fhirledger.server.audit;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;

/** The audit log could not take the request's record, or could not be brought up to date for an auditor: 503. */
public final class AuditUnavailableException extends BaseServerResponseException {

    public AuditUnavailableException(String message) {
        super(503, message);
    }
}
