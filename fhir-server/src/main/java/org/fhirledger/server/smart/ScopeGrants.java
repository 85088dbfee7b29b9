package org.fhirledger.server.smart;

import java.util.List;
import java.util.Optional;
import org.fhirledger.server.security.Caller;

/**
 * What a token's scopes let a request do, on top of (never instead of) what the chain allows. A permission on a
 * type is granted by a {@code user/} or {@code system/} scope for whatever the caller may otherwise reach, or by a
 * {@code patient/} scope for the token's {@code patient} only.
 */
final class ScopeGrants {

    /** How far a permission on a type reaches. */
    enum Reach {
        NONE,
        PATIENT,
        ALL
    }

    private final List<SmartScope> scopes;
    private final String patient;

    private ScopeGrants(List<SmartScope> scopes, String patient) {
        this.scopes = scopes;
        this.patient = patient;
    }

    static ScopeGrants of(Caller caller) {
        return new ScopeGrants(
                caller.scopes().stream()
                        .map(SmartScope::parse)
                        .flatMap(Optional::stream)
                        .toList(),
                caller.patient());
    }

    Reach reach(char permission, String type) {
        Reach reach = Reach.NONE;
        for (SmartScope s : scopes) {
            if (!s.grants(permission, type)) continue;
            if (s.context() != SmartScope.Context.PATIENT) return Reach.ALL;
            // a patient/ scope without a patient in context confines to nobody
            if (patient != null) reach = Reach.PATIENT;
        }
        return reach;
    }

    /** Any scope reaching beyond one patient: what server-wide interactions (system search, history) need. */
    boolean anyBeyondPatient() {
        return scopes.stream().anyMatch(s -> s.context() != SmartScope.Context.PATIENT);
    }

    String patient() {
        return patient;
    }
}
