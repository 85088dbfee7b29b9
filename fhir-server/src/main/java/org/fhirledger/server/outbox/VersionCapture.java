package org.fhirledger.server.outbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
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
		VersionRecorder.prepareForStorage(resource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void beforeUpdate(IBaseResource oldResource, IBaseResource newResource) {
		VersionRecorder.prepareForUpdate(oldResource, newResource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		recorder.stored(resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource oldResource, IBaseResource newResource) {
		recorder.stored(newResource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
	public void deleted(IBaseResource resource) {
		recorder.deleted(resource, VersionRecorder.versionOf(resource.getIdElement()));
	}
}
