package org.fhirledger.server.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.fhirledger.server.fhir.InterceptorOrder;

/**
 * Thin: a request that can read AuditEvents waits until every audit record committed before it is an AuditEvent
 * ({@link AuditMaterialiser#catchUp}), so an auditor, a patient reading their access timeline or a {@code $verify}
 * of an access never misses an access that was answered. Such a request names AuditEvent (its type, a
 * {@code _revinclude}, {@code _has} or {@code _type}), or searches every type, or is an operation (such as
 * {@code $everything}) other than those that never show one. The entries of a transaction or batch come here as
 * requests of their own. A request about one AuditEvent waits only for that event's own record (none for an AuditEvent a client stored),
 * so reading one event never waits for a backlog of others.
 */
@Interceptor(order = InterceptorOrder.AFTER_AUTHORIZATION)
public final class ReadYourAudits {

    private static final String AUDIT_EVENT = "AuditEvent";

    /**
     * Operations whose answer never holds an AuditEvent when they are not on one: {@code $verify} of another type
     * answers about that resource's version, {@code $ledger-status} about the log. Waiting for the backlog there made
     * each {@code $verify} wait for the previous call's own record (p50 52 ms instead of about 10 in a benchmark).
     * Any other operation waits: one that can show AuditEvents ({@code $everything}) must not miss an access.
     */
    private static final Set<String> SHOWS_NO_AUDIT_EVENT = Set.of("$verify", "$ledger-status");

    private final AuditMaterialiser materialiser;

    public ReadYourAudits(AuditMaterialiser materialiser) {
        this.materialiser = materialiser;
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void beforeHandling(RequestDetails rd, RestOperationTypeEnum op) {
        if (!readsAuditEvents(rd, op)) return;
        OptionalLong record = oneAuditEvent(rd);
        if (record == null) materialiser.catchUp();
        else if (record.isPresent()) materialiser.catchUpTo(record.getAsLong());
        // else: one AuditEvent a client stored; it is there already, or never will be
    }

    /**
     * For a request about one AuditEvent (read, vread, its history, an operation on it): the audit record it is
     * materialised from, or empty when its id is not one the audit log gives (ids starting "audit-" are refused to
     * clients); {@code null} for any other request, which may meet any AuditEvent.
     */
    static OptionalLong oneAuditEvent(RequestDetails rd) {
        if (!AUDIT_EVENT.equals(rd.getResourceName())
                || rd.getId() == null
                || !rd.getId().hasIdPart()) return null;
        String id = rd.getId().getIdPart();
        if (!id.startsWith(AuditRecord.EVENT_ID_PREFIX)) return OptionalLong.empty();
        try {
            return OptionalLong.of(Long.parseLong(id.substring(AuditRecord.EVENT_ID_PREFIX.length())));
        } catch (NumberFormatException notOurs) {
            return OptionalLong.empty();
        }
    }

    static boolean readsAuditEvents(RequestDetails rd, RestOperationTypeEnum op) {
        if (op == null) return false;
        if (AUDIT_EVENT.equals(rd.getResourceName())) return isRead(op) || isOperation(op);
        if (op == RestOperationTypeEnum.SEARCH_SYSTEM || op == RestOperationTypeEnum.HISTORY_SYSTEM) return true;
        if (isOperation(op)) return !SHOWS_NO_AUDIT_EVENT.contains(rd.getOperation());
        if (!isRead(op)) return false;
        for (Map.Entry<String, String[]> p : rd.getParameters().entrySet()) {
            if (p.getKey().contains(AUDIT_EVENT)) return true;
            for (String v : p.getValue()) if (v != null && v.contains(AUDIT_EVENT)) return true;
        }
        return false;
    }

    private static boolean isRead(RestOperationTypeEnum op) {
        return switch (op) {
            case READ, VREAD, SEARCH_TYPE, SEARCH_SYSTEM, HISTORY_INSTANCE, HISTORY_TYPE, HISTORY_SYSTEM -> true;
            default -> false;
        };
    }

    private static boolean isOperation(RestOperationTypeEnum op) {
        return op == RestOperationTypeEnum.EXTENDED_OPERATION_SERVER
                || op == RestOperationTypeEnum.EXTENDED_OPERATION_TYPE
                || op == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE;
    }
}
