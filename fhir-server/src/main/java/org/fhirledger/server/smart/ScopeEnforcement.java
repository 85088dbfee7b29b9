package org.fhirledger.server.smart;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.fhirledger.server.authz.Refusals;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Thin HAPI glue for {@link ScopeRules}: SMART scopes narrow what the chain allows, never widen it. Registered after
 * the authorisation interceptor, so a request the chain refuses is refused as before; what the chain allows is then
 * held to the token's scopes. Refusals decided from the request alone are 403 naming the scope missing; one decided
 * from the data (a {@code patient/} scope meeting another patient's resource) looks like "not there" (404), and
 * search results and includes outside the scopes are left out.
 */
@Interceptor
public final class ScopeEnforcement {

    private final CallerAccessor callers;
    private final ScopeRules rules;
    private final FhirContext ctx;

    ScopeEnforcement(CallerAccessor callers, ScopeRules rules, FhirContext ctx) {
        this.callers = callers;
        this.rules = rules;
        this.ctx = ctx;
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void preHandled(RequestDetails rd, RestOperationTypeEnum op) {
        if (rd instanceof SystemRequestDetails || op == RestOperationTypeEnum.METADATA) return;
        Caller caller = callers.current().orElse(null);
        if (caller == null) return; // the authorisation interceptor refuses anonymous requests
        ScopeGrants grants = ScopeGrants.of(caller);
        String type = rd.getResourceName();
        String id = rd.getId() != null && rd.getId().hasIdPart() ? rd.getId().getIdPart() : null;
        if (rules.otherPatientInstance(grants, op, type, id)) {
            denial(rd, "the token's patient/ scopes are for another patient");
            throw Refusals.notKnown(type, id);
        }
        String refusal = rules.request(grants, op, type, rd.getParameters());
        if (refusal != null) throw refuse(rd, refusal);
    }

    @Hook(Pointcut.STORAGE_PRESHOW_RESOURCES)
    public void preShow(IPreResourceShowDetails details, RequestDetails rd) {
        if (rd == null || rd instanceof SystemRequestDetails) return;
        Caller caller = callers.current().orElse(null);
        if (caller == null) return;
        ScopeGrants grants = ScopeGrants.of(caller);
        RestOperationTypeEnum op = rd.getRestOperationType();
        // one resource or its versions: refused outright, as the authorisation interceptor does
        boolean single = op == RestOperationTypeEnum.READ
                || op == RestOperationTypeEnum.VREAD
                || op == RestOperationTypeEnum.HISTORY_INSTANCE
                || "$verify".equals(rd.getOperation())
                || "$locate".equals(rd.getOperation());
        for (int i = 0; i < details.size(); i++) {
            IBaseResource r = details.getResource(i);
            if (r == null) continue;
            String reason = rules.show(grants, ctx.getResourceType(r), r);
            if (reason == null) continue;
            if (single) {
                denial(rd, reason);
                IIdType id = rd.getId() != null && rd.getId().hasIdPart() ? rd.getId() : r.getIdElement();
                throw Refusals.notKnown(ctx.getResourceType(r), id.getIdPart()); // as a missing id answers
            }
            details.setResource(i, null);
        }
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void preCreate(IBaseResource resource, RequestDetails rd) {
        write(rd, resource, 'c', false);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void preUpdate(IBaseResource oldResource, IBaseResource newResource, RequestDetails rd) {
        write(rd, oldResource, 'u', false);
        write(rd, newResource, 'u', false);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
    public void preDelete(IBaseResource resource, RequestDetails rd) {
        write(rd, resource, 'd', false);
    }

    /** As committed: a transaction's placeholders name their patients only now. */
    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void committingCreate(IBaseResource resource, RequestDetails rd) {
        write(rd, resource, 'c', true);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    public void committingUpdate(IBaseResource oldResource, IBaseResource newResource, RequestDetails rd) {
        write(rd, newResource, 'u', true);
    }

    private void write(RequestDetails rd, IBaseResource resource, char permission, boolean committing) {
        if (rd == null || rd instanceof SystemRequestDetails || resource == null) return;
        Caller caller = callers.current().orElse(null);
        if (caller == null) return;
        String reason =
                rules.write(ScopeGrants.of(caller), ctx.getResourceType(resource), resource, permission, committing);
        if (reason != null) throw refuse(rd, reason);
    }

    private static BaseServerResponseException refuse(RequestDetails rd, String reason) {
        denial(rd, reason);
        return Refusals.forbidden(reason);
    }

    private static void denial(RequestDetails rd, String reason) {
        RequestState state = RequestState.of(rd);
        if (state != null) state.denial(reason); // the AuditEvent says why
    }
}
