package org.fhirledger.server.smart.dev;

import java.io.Serializable;
import org.fhirledger.ledger.Role;

/**
 * Who the dev user said they are on the login page: a role and optionally a fhirUser (the people bin/dev-token
 * knows), and the patient they picked for apps that ask for {@code launch/patient}.
 */
record DevUser(Role role, String fhirUser, String patient) implements Serializable {

    /** As bin/dev-token names the same person. */
    String subject() {
        return "dev:" + role.name().toLowerCase(java.util.Locale.ROOT) + (fhirUser == null ? "" : ":" + fhirUser);
    }

    /** The patient in context: the one picked, or a patient user's own record. */
    String patientContext() {
        if (patient != null) return patient;
        return role == Role.PATIENT && fhirUser != null && fhirUser.startsWith("Patient/")
                ? fhirUser.substring("Patient/".length())
                : null;
    }
}
