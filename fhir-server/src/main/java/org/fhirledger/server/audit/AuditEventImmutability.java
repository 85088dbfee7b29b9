package org.fhirledger.server.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * AuditEvents are evidence: once stored, no API request may change or remove them. The storage hooks fire on
 * every write path (plain, conditional, PATCH, $meta-add/$meta-delete, inside transactions), so nothing slips
 * past; the server's own
 * writes ({@link SystemRequestDetails}) are not API requests and are left alone.
 */
@Interceptor
public class AuditEventImmutability {

    static final String AUDIT_EVENT = "AuditEvent";

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void beforeUpdate(IBaseResource oldResource, IBaseResource newResource, RequestDetails request) {
        refuseFromApi(oldResource, request, "updated");
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
    public void beforeDelete(IBaseResource resource, RequestDetails request) {
        refuseFromApi(resource, request, "deleted");
    }

    private static void refuseFromApi(IBaseResource resource, RequestDetails request, String verb) {
        if (resource != null && AUDIT_EVENT.equals(resource.fhirType()) && request instanceof ServletRequestDetails) {
            throw refusal(verb);
        }
    }

    private static MethodNotAllowedException refusal(String verb) {
        return new MethodNotAllowedException(
                "AuditEvents are immutable: an AuditEvent cannot be " + verb + " through the API");
    }
}
