package org.fhirledger.server.integrity;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.version.RecordedInRequest;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Thin: every version HAPI is about to show an API client (read, vread, search and history pages, _include, the
 * answer to a write) goes through the {@link IntegrityChecker} with its {@link StoredForm}. A tampered version is
 * audited, and refused (500 with an OperationOutcome) where it is the answer (read, vread); in a page of several it
 * is withheld instead ({@link WithheldFromPage} says so in the bundle), so one bad version cannot take every page
 * that meets it down. The answer to a write is HAPI's in-memory resource, which for a no-op update is built from the
 * request (another meta.source, say): what counts is the stored version, so that is checked and shown instead.
 * Pending, unverified and unrecorded versions are served with a {@link CanonicalResource#LEDGER_TAG_SYSTEM} tag
 * (outside the hash). The server's own reads are not checked.
 */
@Interceptor
public class IntegrityCheck {

    static final String REFUSAL =
            "This version failed its integrity check: the stored body does not match its ledger record";

    private static final Set<RestOperationTypeEnum> SINGLE =
            Set.of(RestOperationTypeEnum.READ, RestOperationTypeEnum.VREAD);
    private static final Set<RestOperationTypeEnum> WRITES = Set.of(
            RestOperationTypeEnum.CREATE,
            RestOperationTypeEnum.UPDATE,
            RestOperationTypeEnum.PATCH,
            RestOperationTypeEnum.TRANSACTION,
            RestOperationTypeEnum.BATCH);

    private final FhirContext ctx;
    private final StoredForm storedForm;
    private final IntegrityChecker checker;
    private final IntegrityFailureAudit audit;
    private final DaoRegistry daos;

    public IntegrityCheck(FhirContext ctx, IntegrityChecker checker, IntegrityFailureAudit audit, DaoRegistry daos) {
        this.ctx = ctx;
        this.storedForm = new StoredForm(ctx);
        this.checker = checker;
        this.audit = audit;
        this.daos = daos;
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
            byte[] shown = storedForm.ofShown(resource);
            Bytes32 recordedHere = WRITES.contains(request.getRestOperationType())
                    ? RecordedInRequest.hashIfSame(request, type, id.getIdPart(), version, shown)
                    : null;
            Verdict verdict = recordedHere != null
                    ? checker.checkRecordedHere(type, id.getIdPart(), version, recordedHere)
                    : checker.check(type, id.getIdPart(), version, shown);
            if (verdict == Verdict.TAMPERED && WRITES.contains(request.getRestOperationType())) {
                IBaseResource stored = daos.getResourceDao(type).read(id, new SystemRequestDetails());
                verdict = checker.check(type, id.getIdPart(), version, storedForm.ofShown(stored));
                if (verdict != Verdict.TAMPERED) {
                    resource = stored;
                    details.setResource(i, stored);
                }
            }
            if (verdict == Verdict.TAMPERED) {
                audit.integrityFailed(request, type, id.getIdPart(), version);
                if (SINGLE.contains(request.getRestOperationType())
                        || WRITES.contains(request.getRestOperationType())) {
                    throw new InternalErrorException(REFUSAL);
                }
                details.setResource(i, null);
                WithheldFromPage.count(request);
                continue;
            }
            if (verdict.tag() != null) {
                resource.getMeta()
                        .addTag()
                        .setSystem(CanonicalResource.LEDGER_TAG_SYSTEM)
                        .setCode(verdict.tag());
            }
        }
    }
}
