package org.fhirledger.server.authz;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.util.Set;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Thin HAPI glue for {@link AccessPolicy} and {@link OperationRules}: before a request is handled (operation
 * level, search scoping), before resources are shown (every read, search result, include, history entry), and
 * before anything is stored (every create, update, patch and delete, also inside transactions). Requests the
 * server makes itself ({@link SystemRequestDetails}) are not checked.
 */
@Interceptor
public final class AuthorizationInterceptor {

	private final CallerAccessor callers;
	private final ChainAuthority chain;
	private final AccessPolicy policy;
	private final OperationRules operations;

	public AuthorizationInterceptor(CallerAccessor callers, ChainAuthority chain, AccessPolicy policy,
			OperationRules operations) {
		this.callers = callers;
		this.chain = chain;
		this.policy = policy;
		this.operations = operations;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void preHandled(RequestDetails rd, RestOperationTypeEnum op) {
		if (rd instanceof SystemRequestDetails || op == RestOperationTypeEnum.METADATA) return;
		Subject s = subject(rd);
		enforce(rd, operations.check(s, rd, op));
	}

	@Hook(Pointcut.STORAGE_PRESHOW_RESOURCES)
	public void preShow(IPreResourceShowDetails details, RequestDetails rd) {
		if (rd == null || rd instanceof SystemRequestDetails) return;
		Subject s = subject(rd);
		// an auditor verifies anything: $verify reads the resource to hash it, and answers only hashes and proofs
		if ("$verify".equals(rd.getOperation()) && s.has(org.fhirledger.ledger.Role.AUDITOR)) return;
		RequestState state = RequestState.of(rd);
		// one resource, or one resource's versions, or $verify of one: refuse outright (no hole in a history bundle)
		boolean single = rd.getRestOperationType() == RestOperationTypeEnum.READ
				|| rd.getRestOperationType() == RestOperationTypeEnum.VREAD
				|| rd.getRestOperationType() == RestOperationTypeEnum.HISTORY_INSTANCE
				|| "$verify".equals(rd.getOperation());
		for (int i = 0; i < details.size(); i++) {
			IBaseResource r = details.getResource(i);
			if (r == null) continue;
			Set<String> owners = policy.compartments().owners(r);
			Decision d = policy.canSee(s, r);
			if (d.allowed()) {
				if (state != null) state.addShown(owners);
				enforce(rd, d);
			} else if (single) {
				if (state != null) state.addTouched(owners);
				enforce(rd, d);
			} else {
				details.setResource(i, null); // not in the result: as if it did not match
			}
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void preCreate(IBaseResource resource, RequestDetails rd) {
		checkWrite(rd, resource, true);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void preUpdate(IBaseResource oldResource, IBaseResource newResource, RequestDetails rd) {
		checkWrite(rd, oldResource, false);
		checkWrite(rd, newResource, false);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
	public void preDelete(IBaseResource resource, RequestDetails rd) {
		checkWrite(rd, resource, false);
	}

	/** Again as committed: a transaction's placeholders and conditional references now name what they stand for. */
	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void committingCreate(IBaseResource resource, RequestDetails rd) {
		if (rd == null || rd instanceof SystemRequestDetails || resource == null) return;
		enforce(rd, policy.canCommit(subject(rd), resource, true));
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void committingUpdate(IBaseResource oldResource, IBaseResource newResource, RequestDetails rd) {
		if (rd == null || rd instanceof SystemRequestDetails || newResource == null) return;
		enforce(rd, policy.canCommit(subject(rd), newResource, false));
	}

	private void checkWrite(RequestDetails rd, IBaseResource resource, boolean creating) {
		if (rd == null || rd instanceof SystemRequestDetails || resource == null) return;
		Subject s = subject(rd);
		RequestState state = RequestState.of(rd);
		if (state != null) state.addTouched(policy.compartments().owners(resource));
		enforce(rd, policy.canWrite(s, resource, creating));
	}

	private Subject subject(RequestDetails rd) {
		RequestState state = RequestState.of(rd);
		if (state != null && state.subject() != null) return state.subject();
		Caller caller = callers.current().orElseThrow(() -> new AuthenticationException("A bearer token is required"));
		Subject s = chain.subject(caller);
		if (state != null) state.subject(s);
		return s;
	}

	private static void enforce(RequestDetails rd, Decision d) {
		if (d.allowed()) {
			if (d.breakGlass()) {
				RequestState state = RequestState.of(rd);
				if (state != null) state.markBreakGlass();
			}
			return;
		}
		RequestState state = RequestState.of(rd);
		if (state != null) state.denial(d.reason());
		throw new ForbiddenOperationException("Access denied: " + d.reason());
	}
}
