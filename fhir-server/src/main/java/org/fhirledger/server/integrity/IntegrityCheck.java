package org.fhirledger.server.integrity;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import org.fhirledger.server.outbox.Tombstone;
import org.hl7.fhir.instance.model.api.IAnyResource;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.nio.charset.StandardCharsets;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.VersionRecorder;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Thin: every version HAPI is about to show an API client (read, vread, search and history pages, _include) goes
 * through the {@link IntegrityChecker}. A tampered version refuses the whole response (500 with an
 * OperationOutcome) and is audited; pending, unverified and unrecorded versions are served with a
 * {@link CanonicalResource#LEDGER_TAG_SYSTEM} tag (outside the hash). The server's own reads are not checked.
 */
@Interceptor
public class IntegrityCheck {

	static final String REFUSAL = "This version failed its integrity check: the stored body does not match its ledger record";

	private final FhirContext ctx;
	private final IntegrityChecker checker;
	private final IntegrityFailureAudit audit;

	public IntegrityCheck(FhirContext ctx, IntegrityChecker checker, IntegrityFailureAudit audit) {
		this.ctx = ctx;
		this.checker = checker;
		this.audit = audit;
	}

	@Hook(Pointcut.STORAGE_PRESHOW_RESOURCES)
	public void beforeShow(IPreResourceShowDetails details, RequestDetails request) {
		if (!(request instanceof ServletRequestDetails)) return;
		// $verify checks the stored version itself and reports a mismatch in its answer
		if ("$verify".equals(request.getOperation())) return;
		for (int i = 0; i < details.size(); i++) {
			IBaseResource resource = details.getResource(i);
			if (resource == null) continue;
			IIdType id = resource.getIdElement();
			if (!id.hasIdPart() || !id.hasVersionIdPart() || !id.isVersionIdPartValidLong()) continue;
			String type = ctx.getResourceType(resource);
			long version = id.getVersionIdPartAsLong();
			// a deleted version (in a history bundle) is served as a stub; what was recorded for it is the tombstone
			boolean deleted = resource instanceof IAnyResource any && ResourceMetadataKeyEnum.DELETED_AT.get(any) != null;
			byte[] json;
			if (deleted) {
				json = Tombstone.json(type, id.getIdPart());
			} else {
				VersionRecorder.sortMeta(resource);
				json = ctx.newJsonParser().encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
			}
			Verdict verdict = checker.check(type, id.getIdPart(), version, json);
			if (verdict == Verdict.TAMPERED) {
				audit.integrityFailed(request, type, id.getIdPart(), version);
				throw new InternalErrorException(REFUSAL);
			}
			if (verdict.tag() != null) {
				resource.getMeta().addTag().setSystem(CanonicalResource.LEDGER_TAG_SYSTEM).setCode(verdict.tag());
			}
		}
	}
}
