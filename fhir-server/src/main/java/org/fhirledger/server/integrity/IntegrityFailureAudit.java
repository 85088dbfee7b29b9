package org.fhirledger.server.integrity;

import ca.uhn.fhir.rest.api.server.RequestDetails;

/**
 * Records that a served version failed its integrity check: a port the audit trail implements (in the request's own
 * AuditEvent); without that bean the check writes a failure AuditEvent of its own.
 */
public interface IntegrityFailureAudit {

    void integrityFailed(RequestDetails request, String resourceType, String id, long version);
}
