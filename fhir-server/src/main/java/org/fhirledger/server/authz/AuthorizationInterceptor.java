package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.List;
import java.util.Set;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.fhir.InterceptorOrder;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * Thin HAPI glue for {@link AccessPolicy} and {@link OperationRules}: before a request is handled (operation
 * level, search scoping, conditional criteria, the one resource an instance interaction is on, page links), before
 * resources are shown (every read, search result, include, history entry), before anything is stored (every
 * create, update, patch and delete, also inside transactions), and before the answer goes out (totals, page links,
 * issue types). Requests the server makes itself ({@link SystemRequestDetails}) are not checked.
 */
@Interceptor(order = InterceptorOrder.AUTHORIZATION)
public final class AuthorizationInterceptor {

    private final CallerAccessor callers;
    private final ChainAuthority chain;
    private final AccessPolicy policy;
    private final OperationRules operations;
    private final InstanceAccess instances;
    private final ConditionalCriteria conditionals;
    private final SearchReaders pages;
    private final SearchTotals totals = new SearchTotals();
    private final FhirContext ctx;

    AuthorizationInterceptor(
            CallerAccessor callers,
            ChainAuthority chain,
            AccessPolicy policy,
            OperationRules operations,
            InstanceAccess instances,
            ConditionalCriteria conditionals,
            SearchReaders pages,
            FhirContext ctx) {
        this.callers = callers;
        this.chain = chain;
        this.policy = policy;
        this.operations = operations;
        this.instances = instances;
        this.conditionals = conditionals;
        this.pages = pages;
        this.ctx = ctx;
    }

    /**
     * A direct conditional delete, update, patch or create: its criteria are read by HAPI before the handler runs,
     * so they are checked and narrowed here, where the request URL and headers can still be changed.
     */
    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public boolean postProcessed(RequestDetails rd) {
        if (rd instanceof SystemRequestDetails || !(rd instanceof ServletRequestDetails srd)) return true;
        RequestState state = RequestState.of(rd);
        try {
            narrowDirectConditional(srd, rd.getRestOperationType(), state);
            narrowPatientSearch(srd, state);
            narrowOwnerSearch(srd, state);
        } catch (BaseServerResponseException refused) {
            if (state == null) throw refused;
            state.defer(refused); // answered from the pre-handled hook, as every refusal
        }
        return true;
    }

    /** A Patient search naming no patient answers only the patients the caller may see (see ConditionalCriteria). */
    private void narrowPatientSearch(ServletRequestDetails rd, RequestState state) {
        if (rd.getRestOperationType() != RestOperationTypeEnum.SEARCH_TYPE || !"Patient".equals(rd.getResourceName()))
            return;
        Subject s = subject(rd);
        conditionals.narrowPatientSearch(s, rd.getParameters()).ifPresent(ids -> {
            java.util.Map<String, String[]> params = new java.util.LinkedHashMap<>(rd.getParameters());
            params.put("_id", ids);
            rd.setParameters(params);
            if (state != null) state.patientSearchNarrowed();
        });
    }

    /** Another patient-data search naming no patient answers the data of the patients the caller may see only. */
    private void narrowOwnerSearch(ServletRequestDetails rd, RequestState state) {
        if (rd.getRestOperationType() != RestOperationTypeEnum.SEARCH_TYPE || rd.getCompartmentName() != null) return;
        String type = rd.getResourceName();
        conditionals.narrowOwnerSearch(subject(rd), type, rd.getParameters()).ifPresent(owner -> {
            java.util.Map<String, String[]> params = new java.util.LinkedHashMap<>(rd.getParameters());
            params.put(owner.getKey(), new String[] {owner.getValue()});
            rd.setParameters(params);
            if (state != null) state.ownerNarrowed(type);
        });
    }

    private void narrowDirectConditional(ServletRequestDetails rd, RestOperationTypeEnum op, RequestState state) {
        if (op == RestOperationTypeEnum.DELETE
                || op == RestOperationTypeEnum.UPDATE
                || op == RestOperationTypeEnum.PATCH) {
            String url = rd.getCompleteUrl();
            int q = url == null ? -1 : url.indexOf('?');
            if ((rd.getId() != null && rd.getId().hasIdPart()) || q < 0) return;
            Subject s = subject(rd);
            enforce(rd, operations.check(s, rd, op));
            String query = url.substring(q + 1);
            String narrowed = conditionals.narrow(s, rd.getResourceName(), query, state);
            if (!narrowed.equals(query)) rd.setCompleteUrl(url.substring(0, q + 1) + narrowed);
        } else if (op == RestOperationTypeEnum.CREATE) {
            String ifNoneExist = rd.getHeader(Constants.HEADER_IF_NONE_EXIST);
            if (ifNoneExist == null || ifNoneExist.isBlank()) return;
            Subject s = subject(rd);
            enforce(rd, operations.check(s, rd, op));
            int q = ifNoneExist.indexOf('?');
            String query = ifNoneExist.substring(q + 1);
            String narrowed = conditionals.narrow(s, rd.getResourceName(), query, state);
            if (!narrowed.equals(query)) {
                rd.setHeaders(Constants.HEADER_IF_NONE_EXIST, List.of(ifNoneExist.substring(0, q + 1) + narrowed));
            }
        }
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void preHandled(RequestDetails rd, RestOperationTypeEnum op) {
        if (rd instanceof SystemRequestDetails || op == RestOperationTypeEnum.METADATA) return;
        RequestState state = RequestState.of(rd);
        if (state != null && state.deferred() != null) throw state.deferred();
        Subject s = subject(rd);
        enforce(rd, operations.check(s, rd, op));
        instances.check(s, rd, op);
        if (op == RestOperationTypeEnum.GET_PAGE) pageOfOwnSearch(s, rd);
        if (rd.getResource() instanceof Bundle bundle
                && (op == RestOperationTypeEnum.TRANSACTION || op == RestOperationTypeEnum.BATCH)) {
            for (Bundle.BundleEntryComponent entry : bundle.getEntry()) conditionalEntry(s, rd, entry);
        } else if (rd.getResource() != null) {
            conditionalReferences(s, rd, rd.getResource());
        }
    }

    /**
     * A transaction or batch entry: its criteria (request.url of a PUT, PATCH or DELETE, ifNoneExist of a POST), or
     * the one resource it changes (HAPI runs these entries without a request of their own; GET entries have one).
     */
    private void conditionalEntry(Subject s, RequestDetails rd, Bundle.BundleEntryComponent entry) {
        Bundle.BundleEntryRequestComponent request = entry.getRequest();
        String url = request.getUrl();
        Bundle.HTTPVerb method = request.getMethod();
        RequestState state = RequestState.of(rd);
        if (url != null
                && (method == Bundle.HTTPVerb.PUT
                        || method == Bundle.HTTPVerb.PATCH
                        || method == Bundle.HTTPVerb.DELETE)
                && url.indexOf('?') < 0) {
            IdType id = new IdType(url);
            if (id.hasResourceType() && id.hasIdPart()) instances.check(s, id.getResourceType(), id, state);
        }
        if (url != null
                && (method == Bundle.HTTPVerb.PUT
                        || method == Bundle.HTTPVerb.PATCH
                        || method == Bundle.HTTPVerb.DELETE)
                && url.indexOf('?') > 0) {
            int q = url.indexOf('?');
            String type = url.substring(0, q);
            type = type.substring(type.lastIndexOf('/') + 1);
            request.setUrl(url.substring(0, q + 1) + conditionals.narrow(s, type, url.substring(q + 1), state));
        }
        if (method == Bundle.HTTPVerb.POST && request.hasIfNoneExist() && entry.getResource() != null) {
            String criteria = request.getIfNoneExist();
            int q = criteria.indexOf('?');
            request.setIfNoneExist(criteria.substring(0, q + 1)
                    + conditionals.narrow(
                            s, ctx.getResourceType(entry.getResource()), criteria.substring(q + 1), state));
        }
        if (entry.getResource() != null) conditionalReferences(s, rd, entry.getResource());
    }

    /** References given as criteria ({@code Patient?identifier=...}), which HAPI resolves by matching them. */
    private void conditionalReferences(Subject s, RequestDetails rd, IBaseResource resource) {
        if (s.has(Role.CUSTODIAN)) return;
        for (IBaseReference ref : ctx.newTerser().getAllPopulatedChildElementsOfType(resource, IBaseReference.class)) {
            String value = ref.getReferenceElement().getValue();
            int q = value == null ? -1 : value.indexOf('?');
            if (q <= 0 || value.startsWith("#") || value.contains("://")) continue;
            String type = value.substring(0, q);
            if (type.contains("/")) continue;
            ref.setReference(type + "?" + conditionals.narrow(s, type, value.substring(q + 1), RequestState.of(rd)));
        }
    }

    /** A search's further pages are for the callers it was answered to; to others, as if the id were unknown. */
    private void pageOfOwnSearch(Subject s, RequestDetails rd) {
        String[] ids = rd.getParameters().get(Constants.PARAM_PAGINGACTION);
        if (ids == null || ids.length == 0 || pages.isReader(ids[0], s.address())) return;
        RequestState state = RequestState.of(rd);
        if (state != null) state.denial("a search's pages are for the caller who ran it");
        throw Refusals.unknownPage(ids[0]);
    }

    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public void outgoing(RequestDetails rd, ResponseDetails response) {
        if (rd == null || rd instanceof SystemRequestDetails || response.getResponseResource() == null) return;
        RequestState state = RequestState.of(rd);
        if (state == null || state.subject() == null) return;
        IBaseResource answer = response.getResponseResource();
        if (state.isOwnerNarrowed(rd.getResourceName())) {
            totals.adjustNarrowed(
                    answer,
                    () -> conditionals.visibleMatches(state.subject(), rd.getResourceName(), rd.getParameters()));
        } else {
            totals.adjust(state.subject(), rd, answer);
        }
        pages.remember(answer, state.subject().address());
        if (state.anyNarrowed()) unnarrow(state, answer);
    }

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException outgoingException(RequestDetails rd, Throwable exception) {
        if (!(exception instanceof BaseServerResponseException e)) return null;
        RequestState state = rd == null ? null : RequestState.of(rd);
        if (state != null
                && state.anyNarrowed()
                && e.getMessage() != null
                && !e.getMessage().equals(state.unnarrowed(e.getMessage()))) {
            BaseServerResponseException plain =
                    BaseServerResponseException.newInstance(e.getStatusCode(), state.unnarrowed(e.getMessage()));
            if (e.getOperationOutcome() != null) {
                unnarrow(state, e.getOperationOutcome());
                plain.setOperationOutcome(e.getOperationOutcome());
            }
            e = plain;
        }
        BaseServerResponseException typed = Refusals.typed(e);
        return typed != null ? typed : e == exception ? null : e;
    }

    /** Answers quote conditional criteria as the caller sent them, not as narrowed. */
    private static void unnarrow(RequestState state, IBaseResource answer) {
        if (answer instanceof OperationOutcome oo) {
            for (OperationOutcome.OperationOutcomeIssueComponent issue : oo.getIssue()) {
                if (issue.hasDiagnostics()) issue.setDiagnostics(state.unnarrowed(issue.getDiagnostics()));
            }
        } else if (answer instanceof Bundle bundle) {
            for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
                if (e.getResponse().getOutcome() != null)
                    unnarrow(state, e.getResponse().getOutcome());
                if (e.getResource() instanceof OperationOutcome oo) unnarrow(state, oo);
            }
        }
    }

    /** Interactions whose shown resources HAPI has just read from the database (no operation: $fetch-remote's are not). */
    private static final Set<RestOperationTypeEnum> STORED_SHOWN = Set.of(
            RestOperationTypeEnum.READ,
            RestOperationTypeEnum.VREAD,
            RestOperationTypeEnum.SEARCH_TYPE,
            RestOperationTypeEnum.SEARCH_SYSTEM,
            RestOperationTypeEnum.HISTORY_INSTANCE,
            RestOperationTypeEnum.HISTORY_TYPE,
            RestOperationTypeEnum.HISTORY_SYSTEM);

    @Hook(Pointcut.STORAGE_PRESHOW_RESOURCES)
    public void preShow(IPreResourceShowDetails details, RequestDetails rd) {
        if (rd == null || rd instanceof SystemRequestDetails) return;
        Subject s = subject(rd);
        // an auditor verifies anything: $verify reads the resource to hash it, and answers only hashes and proofs
        if ("$verify".equals(rd.getOperation()) && s.has(Role.AUDITOR)) return;
        RequestState state = RequestState.of(rd);
        // one resource, or one resource's versions, or $verify, $locate, $fetch-remote, $import-remote or
        // $verify-import of one: refuse outright (no hole in a history bundle)
        boolean single = rd.getRestOperationType() == RestOperationTypeEnum.READ
                || rd.getRestOperationType() == RestOperationTypeEnum.VREAD
                || rd.getRestOperationType() == RestOperationTypeEnum.HISTORY_INSTANCE
                || "$verify".equals(rd.getOperation())
                || "$locate".equals(rd.getOperation())
                || "$fetch-remote".equals(rd.getOperation())
                || "$import-remote".equals(rd.getOperation())
                || "$verify-import".equals(rd.getOperation());
        // what these interactions show was read from this database; an operation's result may be anything
        boolean stored = STORED_SHOWN.contains(rd.getRestOperationType());
        for (int i = 0; i < details.size(); i++) {
            IBaseResource r = details.getResource(i);
            if (r == null) continue;
            Set<String> owners = stored
                    ? policy.compartments().ownershipOfStored(r).patients()
                    : policy.compartments().owners(r);
            Decision d = stored ? policy.canSeeStored(s, r) : policy.canSee(s, r);
            if (d.allowed()) {
                if (state != null) state.addShown(owners);
                enforce(rd, d);
            } else if (single) {
                if (state != null) {
                    state.addTouched(owners);
                    state.denial(d.reason());
                }
                IIdType id = rd.getId() != null && rd.getId().hasIdPart() ? rd.getId() : r.getIdElement();
                throw Refusals.notKnown(ctx.getResourceType(r), id.getIdPart()); // as a missing id answers
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
        throw Refusals.forbidden(d.reason());
    }
}
