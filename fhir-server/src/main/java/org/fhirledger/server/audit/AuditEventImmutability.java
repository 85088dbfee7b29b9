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

    /** The ids the audit log gives its AuditEvents are the server's: taken first, a record could not be stored. */
    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void beforeCreate(IBaseResource resource, RequestDetails request) {
        if (resource != null
                && AUDIT_EVENT.equals(resource.fhirType())
                && request instanceof ServletRequestDetails
                && resource.getIdElement().hasIdPart()
                && resource.getIdElement().getIdPart().startsWith(AuditRecord.EVENT_ID_PREFIX)) {
            throw new MethodNotAllowedException("AuditEvent ids starting with \"" + AuditRecord.EVENT_ID_PREFIX
                    + "\" are the audit trail's: choose another id");
        }
    }

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
