package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fhirledger.ledger.Role;

/**
 * Request-level rules, decided before HAPI runs the request: which interactions a role may start at all, and
 * which patients a search is about. A search on patient data by a CLINICIAN or PATIENT must name its patients
 * (e.g. {@code Observation?patient=123}, {@code Patient?_id=123}, {@code Patient/123/Observation}) and may see
 * every one of them; otherwise totals, counts and paging would tell about patients the caller may not see.
 */
public final class OperationRules {

    private final AccessPolicy policy;

    public OperationRules(AccessPolicy policy) {
        this.policy = policy;
    }

    public Decision check(Subject s, RequestDetails rd, RestOperationTypeEnum op) {
        // what this server publishes about itself for its admission (public on chain once admitted): before that,
        // no account of this institution can hold a role, so any caller with a valid token of this server may read it
        if (op == RestOperationTypeEnum.EXTENDED_OPERATION_SERVER && "$membership-request".equals(rd.getOperation())) {
            return Decision.ALLOW;
        }
        if (s.roles().isEmpty()) return Decision.deny("the caller's ledger address holds no role");
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        String type = rd.getResourceName();
        return switch (op) {
            case READ, VREAD, HISTORY_INSTANCE, GET_PAGE, TRANSACTION, BATCH -> Decision.ALLOW; // per resource later
            case CREATE, UPDATE, PATCH, DELETE ->
                s.has(Role.AUDITOR) && s.roles().size() == 1
                        ? Decision.deny("an auditor changes nothing")
                        : Decision.ALLOW;
            case SEARCH_TYPE -> search(s, rd, type);
            case HISTORY_TYPE ->
                (s.has(Role.AUDITOR) && "AuditEvent".equals(type)) || AccessPolicy.DIRECTORY_TYPES.contains(type)
                        ? Decision.ALLOW
                        : Decision.deny("type-level history spans patients: read a resource's own history instead");
            case VALIDATE -> validate(s, rd);
            case EXTENDED_OPERATION_SERVER, EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_INSTANCE -> operation(s, rd);
            default -> Decision.deny(op.getCode() + " is for the custodian only");
        };
    }

    private Decision operation(Subject s, RequestDetails rd) {
        String name = rd.getOperation() == null ? "" : rd.getOperation();
        return switch (name) {
            case "$assign-role", "$revoke-role", "$propose-admission", "$approve-proposal", "$propose-removal" ->
                s.has(Role.ADMIN) ? Decision.ALLOW : Decision.deny(name + " is for ADMIN");
            case "$break-glass" ->
                !s.has(Role.CLINICIAN)
                        ? Decision.deny("$break-glass is for clinicians")
                        // emergency access without consent stays with the institution's own staff
                        : s.caller().actingThrough() != null
                                ? Decision.deny("$break-glass is not open to another member's clinicians")
                                : Decision.ALLOW;
            case "$ledger-status" ->
                s.has(Role.AUDITOR) || s.has(Role.ADMIN)
                        ? Decision.ALLOW
                        : Decision.deny("$ledger-status is for auditors and admins");
            case "$validate" -> validate(s, rd);
            // the consortium's members: institutions, no person's data (the caller holds a role, checked above)
            case "$institutions" -> Decision.ALLOW;
            // both read their instance, checked as a read is (InstanceAccess; an auditor may verify anything)
            case "$verify" -> Decision.ALLOW;
            // which members hold a patient's records: their clinicians and the patient, checked as a read of the
            // Patient is (InstanceAccess: consent, or the patient's own record)
            case "$locate" ->
                s.has(Role.CLINICIAN) || s.has(Role.PATIENT)
                        ? Decision.ALLOW
                        : Decision.deny("$locate is for clinicians and the patient");
            // another member's records for a patient, fetched for this institution's clinician (checked as a read of
            // the Patient here, then by the member); a member's clinician cannot make this server fetch further
            // and its storing form: the copies are then authorised as the caller's creates and updates
            case "$fetch-remote", "$import-remote" ->
                !s.has(Role.CLINICIAN)
                        ? Decision.deny(name + " is for clinicians")
                        : s.caller().actingThrough() != null
                                ? Decision.deny(name + " is not open to another member's clinicians")
                                : Decision.ALLOW;
            // reads its Provenance and the copy, checked as reads are (InstanceAccess)
            case "$verify-import" -> Decision.ALLOW;
            case "$everything" ->
                rd.getId() != null && rd.getId().hasIdPart()
                        ? Decision.ALLOW
                        : Decision.deny("$everything needs a resource instance");
            // erasure of a patient: the custodian's alone (allowed above), not even the patient's own
            case "$erase" -> Decision.deny("$erase is for the custodian only");
            default -> Decision.deny(name + " is for the custodian only");
        };
    }

    /**
     * A resource the caller sends may be validated; a stored instance ({@code Type/id/$validate}, the update and
     * delete modes) is the custodian's: its answer tells what the instance is and what refers to it (a delete's
     * check names the Consents referencing a patient), whether or not the caller may see them.
     */
    private static Decision validate(Subject s, RequestDetails rd) {
        if (!s.has(Role.CLINICIAN) && !s.has(Role.ADMIN)) return Decision.deny("this role validates nothing");
        if (rd.getId() != null && rd.getId().hasIdPart()) {
            return Decision.deny(
                    "$validate of a stored instance is for the custodian only: validate the resource sent");
        }
        return Decision.ALLOW;
    }

    private Decision search(Subject s, RequestDetails rd, String type) {
        Map<String, String[]> params = rd.getParameters();
        if (rd.getCompartmentName() != null && rd.getId() != null) {
            // Patient/123/Observation: the compartment names the patient
            String target = rd.getCompartmentName();
            if (!"Patient".equals(type)) return Decision.deny("only patient compartments are searchable this way");
            Decision chained = chains(s, target, params);
            if (!chained.allowed()) return chained;
            return policy.compartments().isPatientData(target) || "AuditEvent".equals(target)
                    ? policy.canReadPatient(s, rd.getId().getIdPart(), target)
                    : Decision.ALLOW;
        }
        return criteria(s, type, params, RequestState.of(rd));
    }

    /**
     * What a search may match, and equally the criteria of a conditional create, update, patch or delete (which
     * match as a search does): patient data only of patients the caller names and may read, no reverse chaining
     * but an auditor's into AuditEvents, no chaining but between directory types (a chain or {@code _has} tests
     * the data it reaches, whoever it belongs to).
     */
    public Decision criteria(Subject s, String type, Map<String, String[]> params, RequestState state) {
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        Decision chained = chains(s, type, params);
        if (!chained.allowed()) return chained;
        return scoped(s, type, params, state);
    }

    private static Decision chains(Subject s, String type, Map<String, String[]> params) {
        if (s.has(Role.CUSTODIAN)) return Decision.ALLOW;
        for (String key : params.keySet()) {
            if (key.startsWith("_has")) {
                if (!s.has(Role.AUDITOR) || !key.startsWith("_has:AuditEvent:") || key.indexOf('.') >= 0) {
                    return Decision.deny(
                            "_has (reverse chaining) can reach other patients' data: not allowed for this role");
                }
            } else if (key.indexOf('.') >= 0 && !AccessPolicy.DIRECTORY_TYPES.contains(type)) {
                return Decision.deny("chained parameters can reach other patients' data: not allowed for this role");
            }
        }
        return Decision.ALLOW;
    }

    private Decision scoped(Subject s, String type, Map<String, String[]> params, RequestState state) {
        if ("AuditEvent".equals(type)) {
            if (s.has(Role.AUDITOR)) return Decision.ALLOW;
            String self = s.patientId();
            if (self == null)
                return Decision.deny("AuditEvents are for auditors, and for a patient those about themselves");
            Set<String> named = patientsNamed(params, Set.of("patient"), true);
            return !named.isEmpty() && named.equals(Set.of(self))
                    ? Decision.ALLOW
                    : Decision.deny("a patient searches AuditEvent?patient=Patient/" + self);
        }
        if (AccessPolicy.DIRECTORY_TYPES.contains(type)) return Decision.ALLOW;
        if (AccessPolicy.CUSTODIAN_ONLY_TYPES.contains(type))
            return Decision.deny(type + " resources are the custodian's only");
        if (!policy.compartments().isPatientData(type)) {
            return s.has(Role.CLINICIAN) || s.has(Role.PATIENT) || s.has(Role.ADMIN)
                    ? Decision.ALLOW
                    : Decision.deny("this role reads no " + type);
        }
        // its _id is the server's: the matches the caller may see (an id nothing has when none)
        if ("Patient".equals(type) && state != null && state.isPatientSearchNarrowed()) return Decision.ALLOW;
        // its patient parameter is the server's: the patients the caller may see (one nobody is when none)
        if (state != null && state.isOwnerNarrowed(type)) return Decision.ALLOW;
        Set<String> scoping =
                "Patient".equals(type) ? Set.of("_id") : policy.compartments().patientParams(type);
        if (scoping.isEmpty()) {
            return Decision.deny(type + " can hold patient data but has no search parameter naming a patient: "
                    + "searched by the custodian only");
        }
        Set<String> named = patientsNamed(params, scoping, "Patient".equals(type) || scoping.contains("patient"));
        if (named.isEmpty()) {
            return Decision.deny("a search of " + type + " must name its patient(s) with "
                    + String.join(" or ", scoping) + " (e.g. " + type + "?"
                    + scoping.iterator().next()
                    + "=Patient/123)");
        }
        Decision d = Decision.ALLOW;
        for (String patient : named) {
            if (state != null) state.addTouched(Set.of(patient));
            d = d.and(policy.canReadPatient(s, patient, type));
            if (!d.allowed()) return d;
        }
        return d;
    }

    /**
     * Patient ids named by the scoping parameters: a parameter (modifier {@code :Patient} allowed; chained names and
     * other modifiers do not scope) whose every OR value names a Patient bounds the result, parameters being AND-ed.
     * Empty when no parameter bounds it.
     */
    private static Set<String> patientsNamed(Map<String, String[]> params, Set<String> scoping, boolean bareIds) {
        Set<String> ids = new LinkedHashSet<>();
        for (Map.Entry<String, String[]> e : params.entrySet()) {
            String key = e.getKey();
            int colon = key.indexOf(':');
            String name = colon < 0 ? key : key.substring(0, colon);
            String modifier = colon < 0 ? "" : key.substring(colon + 1);
            if (!scoping.contains(name) || !(modifier.isEmpty() || modifier.equals("Patient"))) continue;
            for (String value : e.getValue()) { // repeated parameter: AND
                Set<String> orList = new LinkedHashSet<>();
                for (String v : value.split(",")) {
                    Optional<String> id = Compartments.patientIdOf(v, bareIds || modifier.equals("Patient"));
                    if (id.isEmpty()) {
                        orList = null;
                        break;
                    }
                    orList.add(id.get());
                }
                if (orList != null) ids.addAll(orList);
            }
        }
        return ids;
    }
}
