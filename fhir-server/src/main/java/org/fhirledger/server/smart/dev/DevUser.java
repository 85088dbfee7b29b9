package org.fhirledger.server.smart.dev;

import java.io.Serializable;
import org.fhirledger.ledger.Role;

/**
 * Who the dev user said they are on the login page: a role and optionally a fhirUser (the people bin/dev-token
 * knows). The patient an app asking for {@code launch/patient} works on is picked after login ({@link PickedPatient}).
 */
record DevUser(Role role, String fhirUser) implements Serializable {

    /** As bin/dev-token names the same person. */
    String subject() {
        return "dev:" + role.name().toLowerCase(java.util.Locale.ROOT) + (fhirUser == null ? "" : ":" + fhirUser);
    }

    /** A patient user's own record: their patient context, without a picker. */
    String ownPatient() {
        return role == Role.PATIENT && fhirUser != null && fhirUser.startsWith("Patient/")
                ? fhirUser.substring("Patient/".length())
                : null;
    }
}
