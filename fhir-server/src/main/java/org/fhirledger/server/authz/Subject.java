package org.fhirledger.server.authz;

import java.util.Set;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.Caller;

/**
 * A caller as the chain knows them: the roles its ledger address holds, and its fhirUser when the chain binds
 * that address to the fhirUser's pseudonym (a token naming someone else's fhirUser is not believed).
 *
 * @param fhirUser the verified fhirUser ({@code Practitioner/7}, {@code Patient/3}), or null
 */
public record Subject(Caller caller, Set<Role> roles, String fhirUser) {

    public Subject {
        roles = Set.copyOf(roles);
    }

    public String address() {
        return caller.ledgerAddress();
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** The patient id when this is a PATIENT whose fhirUser is a verified Patient reference. */
    public String patientId() {
        return has(Role.PATIENT) && fhirUser != null && fhirUser.startsWith("Patient/")
                ? fhirUser.substring("Patient/".length())
                : null;
    }
}
