package org.fhirledger.server.smart;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import java.util.Map;
import java.util.Set;
import org.fhirledger.server.authz.Compartments;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Which requests and resources a token's SMART scopes allow (docs/authorization.md#smart-scopes). Each answer is
 * null when allowed, else the reason, which names the scope missing. Only ever refuses: what the chain refuses
 * stays refused whatever the scopes say.
 */
final class ScopeRules {

    private final Compartments compartments;

    ScopeRules(Compartments compartments) {
        this.compartments = compartments;
    }

    /** A request, judged before it is handled (from the request alone). */
    String request(ScopeGrants grants, RestOperationTypeEnum op, String type, Map<String, String[]> params) {
        if (op == null) return null;
        return switch (op) {
            case READ, VREAD, HISTORY_INSTANCE -> need(grants, 'r', type);
            case CREATE -> need(grants, 'c', type);
            case UPDATE, PATCH -> need(grants, 'u', type);
            case DELETE -> need(grants, 'd', type);
            case SEARCH_TYPE -> search(grants, type, params);
            case HISTORY_TYPE ->
                grants.reach('r', type) == ScopeGrants.Reach.ALL
                        ? null
                        : "a type's history needs a user/ or system/ scope to read " + type + " (e.g. user/" + type
                                + ".rs)";
            case EXTENDED_OPERATION_INSTANCE, EXTENDED_OPERATION_TYPE ->
                grants.reach('r', type) != ScopeGrants.Reach.NONE || grants.reach('u', type) != ScopeGrants.Reach.NONE
                        ? null
                        : "no scope grants access to " + type + " (e.g. user/" + type + ".rs)";
            // the data of page, transaction and batch entries is held to the scopes as it is shown or stored
            case GET_PAGE, TRANSACTION, BATCH -> null;
            default ->
                grants.reach('s', "*") == ScopeGrants.Reach.ALL || grants.reach('c', "*") == ScopeGrants.Reach.ALL
                        ? null
                        : "this interaction spans every type: it needs user/*.rs or system/*.rs (or wider)";
        };
    }

    /**
     * An interaction on one Patient by a token whose scopes on Patient are patient/ scopes for another patient:
     * answered as if that Patient were not there.
     */
    boolean otherPatientInstance(ScopeGrants grants, RestOperationTypeEnum op, String type, String id) {
        if (!"Patient".equals(type) || id == null || op == null || op == RestOperationTypeEnum.CREATE) return false;
        return grants.reach('r', type) == ScopeGrants.Reach.PATIENT
                && grants.reach('u', type) != ScopeGrants.Reach.ALL
                && !id.equals(grants.patient());
    }

    /** A search by a token confined to one patient must name that patient, so totals and counts tell of no other. */
    private String search(ScopeGrants grants, String type, Map<String, String[]> params) {
        ScopeGrants.Reach reach = grants.reach('s', type);
        if (reach == ScopeGrants.Reach.NONE) return need(grants, 's', type);
        if (reach == ScopeGrants.Reach.ALL || !compartments.isPatientData(type)) return null;
        Set<String> names = "Patient".equals(type) ? Set.of("_id") : compartments.patientParams(type);
        boolean named = false;
        for (Map.Entry<String, String[]> p : params.entrySet()) {
            String name = p.getKey().contains(":")
                    ? p.getKey().substring(0, p.getKey().indexOf(':'))
                    : p.getKey();
            if (!names.contains(name)) continue;
            for (String value : p.getValue()) {
                for (String one : value.split(",")) {
                    if (!isThePatient(one.trim(), grants.patient())) {
                        return "the token's patient/ scopes confine searches to the patient in context";
                    }
                }
                named = true;
            }
        }
        return named
                ? null
                : "the token's patient/ scopes confine searches to the patient in context: name it ("
                        + ("Patient".equals(type) ? "_id" : "patient") + "=" + grants.patient() + ")";
    }

    private static boolean isThePatient(String value, String patient) {
        return value.equals(patient) || value.equals("Patient/" + patient) || value.endsWith("/Patient/" + patient);
    }

    /** A resource about to be shown (read, search result, include, history entry). */
    String show(ScopeGrants grants, String type, IBaseResource resource) {
        ScopeGrants.Reach reach = wider(grants.reach('r', type), grants.reach('s', type));
        if (reach == ScopeGrants.Reach.NONE) return need(grants, 'r', type);
        return reach == ScopeGrants.Reach.PATIENT ? onlyThePatient(grants, type, resource, true) : null;
    }

    /** A resource about to be stored (create, either side of an update, delete). */
    String write(ScopeGrants grants, String type, IBaseResource resource, char permission, boolean committing) {
        ScopeGrants.Reach reach = grants.reach(permission, type);
        if (reach == ScopeGrants.Reach.NONE) return need(grants, permission, type);
        return reach == ScopeGrants.Reach.PATIENT ? onlyThePatient(grants, type, resource, committing) : null;
    }

    private String onlyThePatient(ScopeGrants grants, String type, IBaseResource resource, boolean final_) {
        Compartments.Ownership o = compartments.ownership(resource);
        if (o.pending() && !final_) return null; // judged again at commit, when placeholders name their patient
        if (o.patients().isEmpty() && !o.unresolved() && !o.pending() && !compartments.isPatientData(type)) return null;
        return !o.unresolved() && !o.pending() && o.patients().equals(Set.of(grants.patient()))
                ? null
                : "the token's patient/ scopes are for another patient";
    }

    private static ScopeGrants.Reach wider(ScopeGrants.Reach a, ScopeGrants.Reach b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    private static String need(ScopeGrants grants, char permission, String type) {
        if (grants.reach(permission, type) != ScopeGrants.Reach.NONE) return null;
        return "the token has no scope granting '" + permission + "' on " + type + " (e.g. user/" + type + "."
                + permission + ")";
    }
}
