package org.fhirledger.server.outbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Thin: HAPI's storage hooks (every write path: plain, conditional, PATCH, each entry of a transaction bundle)
 * handed to the {@link VersionRecorder}. The pre-commit hooks run inside the database transaction, so the outbox row
 * commits or rolls back with the version; the pre-storage hooks drop ledger-status tags a client echoed back.
 */
@Interceptor
public class VersionCapture {

    private final VersionRecorder recorder;

    public VersionCapture(VersionRecorder recorder) {
        this.recorder = recorder;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void beforeCreate(IBaseResource resource) {
        recorder.prepareForStorage(resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void beforeUpdate(IBaseResource oldResource, IBaseResource newResource) {
        recorder.prepareForUpdate(oldResource, newResource);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void created(IBaseResource resource, RequestDetails request) {
        recorder.stored(resource, request);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    public void updated(IBaseResource oldResource, IBaseResource newResource, RequestDetails request) {
        recorder.stored(newResource, request);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
    public void deleted(IBaseResource resource, RequestDetails request) {
        recorder.deleted(resource, VersionRecorder.versionOf(resource.getIdElement()), request);
    }
}
