package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What authorisation learned about one HTTP request, for the audit trail: who the subject is, which patients'
 * data was shown or refused, whether break-glass was used, why it was denied. Kept on the servlet request, so the
 * entries of a batch or transaction (HAPI runs them as sub-requests of the same servlet request) share it.
 */
public final class RequestState {
    private static final String KEY = RequestState.class.getName();

    private Subject subject;
    private final Set<String> shown = new LinkedHashSet<>();
    private final Set<String> touched = new LinkedHashSet<>();
    private boolean breakGlass;
    private boolean writesAudited;
    private String denial;
    private String reason;
    private String failure;
    private String failedResource;
    private final List<String> narrowings = new ArrayList<>();
    private RuntimeException deferred;
    private boolean patientSearchNarrowed;
    private String ownerNarrowedType;

    /** The state of this request, created on first use; null for requests without a servlet request (internal). */
    public static RequestState of(RequestDetails rd) {
        if (!(rd instanceof ServletRequestDetails srd) || srd.getServletRequest() == null) return null;
        HttpServletRequest http = srd.getServletRequest();
        RequestState state = (RequestState) http.getAttribute(KEY);
        if (state == null) {
            state = new RequestState();
            http.setAttribute(KEY, state);
        }
        return state;
    }

    public Subject subject() {
        return subject;
    }

    void subject(Subject subject) {
        this.subject = subject;
    }

    /** Ids of the patients whose data this request showed. */
    public Set<String> patientsShown() {
        return shown;
    }

    /** Ids of the patients whose data this request asked for, changed, or was refused. */
    public Set<String> patientsTouched() {
        return touched;
    }

    public void addShown(Set<String> ids) {
        shown.addAll(ids);
    }

    public void addTouched(Set<String> ids) {
        touched.addAll(ids);
    }

    public boolean breakGlass() {
        return breakGlass;
    }

    public void markBreakGlass() {
        breakGlass = true;
    }

    public boolean writesAudited() {
        return writesAudited;
    }

    public void markWritesAudited() {
        writesAudited = true;
    }

    /**
     * The reason the caller gave (break-glass), or what a retrieval from another member was (which member, which
     * types), for the AuditEvent only.
     */
    public String reason() {
        return reason;
    }

    public void reason(String reason) {
        this.reason = reason;
    }

    /** A failure found while serving (e.g. an integrity check), for the request's failure AuditEvent. */
    public void failure(String text, String resource) {
        if (failure == null) {
            failure = text;
            failedResource = resource;
        }
    }

    public String failure() {
        return failure;
    }

    public String failedResource() {
        return failedResource;
    }

    /** A refusal decided before HAPI picked the handler's arguments, answered from the pre-handled hook as all are. */
    void defer(RuntimeException refusal) {
        if (deferred == null) deferred = refusal;
    }

    RuntimeException deferred() {
        return deferred;
    }

    /** Remembers what was appended to a conditional's criteria, so the answer can quote the criteria as sent. */
    /** The Patient search's {@code _id} was set by the server to the matches the caller may see. */
    void patientSearchNarrowed() {
        patientSearchNarrowed = true;
    }

    boolean isPatientSearchNarrowed() {
        return patientSearchNarrowed;
    }

    /** The search of this type got its patient parameter from the server: the patients the caller may see. */
    void ownerNarrowed(String type) {
        ownerNarrowedType = type;
    }

    boolean isOwnerNarrowed(String type) {
        return type != null && type.equals(ownerNarrowedType);
    }

    void narrowed(String suffix) {
        narrowings.add(suffix);
    }

    /** The text with the criteria as the caller sent them. */
    String unnarrowed(String text) {
        if (text == null) return null;
        String out = text;
        for (String suffix : narrowings) out = out.replace(suffix, "");
        return out;
    }

    boolean anyNarrowed() {
        return !narrowings.isEmpty();
    }

    public String denial() {
        return denial;
    }

    public void denial(String reason) {
        if (denial == null) denial = reason;
    }
}
