package org.fhirledger.server.integrity;

import ca.uhn.fhir.rest.api.server.RequestDetails;

/**
 * Records that a served version failed its integrity check. The default writes a failure AuditEvent; the
 * per-access audit (issue 5) may replace this bean with its own writer.
 */
public interface IntegrityFailureAudit {

	void integrityFailed(RequestDetails request, String resourceType, String id, long version);
}
