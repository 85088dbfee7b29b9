package org.fhirledger.server.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.authz.Subject;
import org.fhirledger.server.fhir.InterceptorOrder;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One AuditEvent per interaction and patient, allowed or not: changes are audited in their own transaction
 * (just before it commits, so a change is never without its audit), everything else just before the response
 * is sent, refusals and failures when HAPI handles the exception. Each is an {@link AuditRecord} in the durable
 * {@link AuditLog} first; nothing is queued in memory: an audit that cannot be stored fails the request (503,
 * nothing returned).
 */
@Interceptor(order = InterceptorOrder.AUDIT)
public final class AuditInterceptor {
    private static final Logger log = LoggerFactory.getLogger(AuditInterceptor.class);

    private final AuditTrail trail;
    private final CallerAccessor callers;
    private final FhirContext ctx;
    private final Compartments compartments;

    public AuditInterceptor(AuditTrail trail, CallerAccessor callers, FhirContext ctx, Compartments compartments) {
        this.trail = trail;
        this.callers = callers;
        this.ctx = ctx;
        this.compartments = compartments;
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void created(IBaseResource resource, RequestDetails rd) {
        change(rd, resource, "create", AuditEventAction.C);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    public void updated(IBaseResource oldResource, IBaseResource newResource, RequestDetails rd) {
        change(
                rd,
                newResource,
                rd != null && rd.getRestOperationType() == RestOperationTypeEnum.PATCH ? "patch" : "update",
                AuditEventAction.U);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
    public void deleted(IBaseResource resource, RequestDetails rd) {
        if (resource != null && resource.getIdElement().hasIdPart()) {
            trail.forget(ctx.getResourceType(resource) + "/"
                    + resource.getIdElement().getIdPart());
        }
        change(rd, resource, "delete", AuditEventAction.D);
    }

    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public void responded(RequestDetails rd) {
        if (skip(rd)) return;
        RequestState state = RequestState.of(rd);
        RestOperationTypeEnum op = rd.getRestOperationType();
        if (state != null && state.writesAudited() && state.patientsShown().isEmpty())
            return; // the changes are audited
        Set<String> patients = new LinkedHashSet<>();
        if (state != null) {
            patients.addAll(state.patientsShown());
            if (!state.writesAudited()) patients.addAll(state.patientsTouched()); // e.g. the patient a search named
        }
        // a page that withheld a version failing its integrity check still answers: its AuditEvent carries the alarm
        String failure = state == null ? null : state.failure();
        List<AuditTrail.Entry> entries;
        if (failure == null) {
            entries = entries(rd, state, op, AuditShape.OUTCOME_SUCCESS, null, patients);
        } else if (state.failedResource() != null && state.failedResource().startsWith("Patient/")) {
            // a withheld Patient: one alarm, in that patient's own event; the patients shown had a normal read
            String failedPatient = state.failedResource().substring("Patient/".length());
            Set<String> shown = new LinkedHashSet<>(patients);
            shown.remove(failedPatient);
            entries = new ArrayList<>();
            if (!shown.isEmpty()) entries.addAll(entries(rd, state, op, AuditShape.OUTCOME_SUCCESS, null, shown));
            entries.addAll(entries(rd, state, op, AuditShape.OUTCOME_FAILED, failure, Set.of(failedPatient)).stream()
                    .map(en -> en.resource() != null ? en : en.withResource(state.failedResource()))
                    .toList());
        } else {
            entries = entries(rd, state, op, AuditShape.OUTCOME_FAILED, failure, patients).stream()
                    .map(en -> en.resource() != null || state.failedResource() == null
                            ? en
                            : en.withResource(state.failedResource()))
                    .toList();
        }
        trail.record(entries);
    }

    @Hook(Pointcut.SERVER_HANDLE_EXCEPTION)
    public boolean failed(RequestDetails rd, BaseServerResponseException e) {
        if (skip(rd)) return true;
        RequestState state = RequestState.of(rd);
        int status = e.getStatusCode();
        String outcome = status == 401 || status == 403
                ? AuditShape.OUTCOME_DENIED
                : status < 500 ? AuditShape.OUTCOME_DENIED : AuditShape.OUTCOME_FAILED;
        // a refusal answered as "not there" (404) is audited as the refusal it is
        String text = state != null && state.denial() != null
                ? "denied: " + state.denial()
                : state != null && state.failure() != null ? state.failure() : "HTTP " + status;
        Set<String> patients = new LinkedHashSet<>();
        if (state != null) {
            patients.addAll(state.patientsShown());
            patients.addAll(state.patientsTouched());
        }
        try {
            List<AuditTrail.Entry> entries = entries(rd, state, rd.getRestOperationType(), outcome, text, patients);
            if (state != null && state.failedResource() != null) {
                String failed = state.failedResource();
                // a failed Patient is named only in that patient's own event (it would name them in another's)
                entries = entries.stream()
                        .map(en -> en.resource() != null
                                        || (failed.startsWith("Patient/")
                                                && !failed.equals("Patient/" + en.patientId()))
                                ? en
                                : en.withResource(failed))
                        .toList();
            }
            trail.record(entries);
        } catch (RuntimeException auditFailure) {
            // the request fails anyway; say so loudly, by class only (a database message would quote values)
            log.error(
                    "could not store the AuditEvent of a failed request: {}",
                    auditFailure.getClass().getName());
        }
        return true;
    }

    private void change(RequestDetails rd, IBaseResource resource, String interaction, AuditEventAction action) {
        if (skip(rd) || resource == null) return;
        RequestState state = RequestState.of(rd);
        Set<String> patients = compartments.ownershipOfWritten(resource).patients();
        IIdType id = resource.getIdElement();
        String ref = id == null || !id.hasIdPart() ? null : ctx.getResourceType(resource) + "/" + id.getIdPart();
        List<AuditTrail.Entry> entries = new ArrayList<>();
        for (String patient : patients.isEmpty() ? java.util.Collections.<String>singleton(null) : patients) {
            entries.add(entry(rd, state, interaction, action, AuditShape.OUTCOME_SUCCESS, null, patient, ref, null));
        }
        trail.recordInTransaction(entries);
        if (state != null) state.markWritesAudited();
    }

    private List<AuditTrail.Entry> entries(
            RequestDetails rd,
            RequestState state,
            RestOperationTypeEnum op,
            String outcome,
            String text,
            Set<String> patients) {
        String interaction = interaction(op, rd);
        AuditEventAction action = action(op);
        IIdType id = rd.getId();
        String resource = id != null && id.hasResourceType() && id.hasIdPart()
                ? id.getResourceType() + "/" + id.getIdPart()
                : null;
        Set<String> all = new TreeSet<>(patients);
        if (resource != null && resource.startsWith("Patient/")) all.add(id.getIdPart());
        AuditQuery query = isSearch(op) ? AuditQuery.of(rd, ctx) : null;
        List<AuditTrail.Entry> out = new ArrayList<>();
        for (String patient : all.isEmpty() ? java.util.Collections.<String>singleton(null) : all) {
            out.add(entry(rd, state, interaction, action, outcome, text, patient, resource, query));
        }
        return out;
    }

    private AuditTrail.Entry entry(
            RequestDetails rd,
            RequestState state,
            String interaction,
            AuditEventAction action,
            String outcome,
            String text,
            String patient,
            String resource,
            AuditQuery query) {
        Subject s = state == null ? null : state.subject();
        Caller caller = s != null ? s.caller() : callers.current().orElse(null);
        Set<String> roles = new TreeSet<>();
        if (s != null) s.roles().forEach(r -> roles.add(r.name()));
        return new AuditTrail.Entry(
                caller == null ? null : caller.ledgerAddress(),
                s != null ? s.fhirUser() : null,
                caller == null ? null : caller.subject(),
                roles,
                interaction,
                action,
                outcome,
                text,
                patient,
                resource,
                query,
                state != null && state.breakGlass(),
                state == null ? null : state.reason(),
                caller == null ? null : caller.actingThrough());
    }

    private static boolean skip(RequestDetails rd) {
        return rd == null
                || rd instanceof SystemRequestDetails
                || !(rd instanceof ServletRequestDetails)
                || rd.getRestOperationType() == RestOperationTypeEnum.METADATA;
    }

    private static boolean isSearch(RestOperationTypeEnum op) {
        return op == RestOperationTypeEnum.SEARCH_TYPE
                || op == RestOperationTypeEnum.SEARCH_SYSTEM
                || op == RestOperationTypeEnum.GET_PAGE;
    }

    private static String interaction(RestOperationTypeEnum op, RequestDetails rd) {
        if (op == null) return "unknown";
        return switch (op) {
            case READ -> "read";
            case VREAD -> "vread";
            case HISTORY_INSTANCE -> "history-instance";
            case HISTORY_TYPE -> "history-type";
            case HISTORY_SYSTEM -> "history-system";
            case SEARCH_TYPE, GET_PAGE -> "search-type";
            case SEARCH_SYSTEM -> "search-system";
            case CREATE -> "create";
            case UPDATE -> "update";
            case PATCH -> "patch";
            case DELETE -> "delete";
            case TRANSACTION -> "transaction";
            case BATCH -> "batch";
            default -> "operation";
        };
    }

    private static AuditEventAction action(RestOperationTypeEnum op) {
        if (op == null) return AuditEventAction.E;
        return switch (op) {
            case READ, VREAD, HISTORY_INSTANCE -> AuditEventAction.R;
            case CREATE -> AuditEventAction.C;
            case UPDATE, PATCH -> AuditEventAction.U;
            case DELETE -> AuditEventAction.D;
            default -> AuditEventAction.E;
        };
    }
}
