package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.Role;

/**
 * Which ledger accounts a Consent may name as actor (docs/exchange.md, consent across institutions): a CLINICIAN on
 * chain, enrolled under this institution or under an active member of the directory. Read from the chain at each
 * Consent, not from the directory's cached copy: a grant is rare and must not reach a member removed a moment ago.
 */
final class ConsentActors {

    private final DirectoryLedger roles;
    private final String self;
    /** The directory, or null when there is none (production without one): then only this institution's staff. */
    private final Supplier<InstitutionDirectory> directory;

    ConsentActors(DirectoryLedger roles, String self, Supplier<InstitutionDirectory> directory) {
        this.roles = roles;
        this.self = self.toLowerCase(Locale.ROOT);
        this.directory = directory;
    }

    /** Nothing, or a 422 saying why the account cannot be granted a patient's consent (503: chain unreachable). */
    void check(String account) {
        try {
            if (!roles.rolesOf(account).contains(Role.CLINICIAN)) {
                throw refused(account + " holds no CLINICIAN role on chain");
            }
            Optional<String> institution = roles.institutionOf(account).map(i -> i.toLowerCase(Locale.ROOT));
            if (institution.isEmpty()) throw refused(account + " is enrolled under no institution on chain");
            if (institution.get().equals(self)) return;
            InstitutionDirectory d = directory.get();
            if (d == null || !d.isMember(institution.get())) {
                throw refused(account + " is not enrolled under an active member of the consortium's directory");
            }
        } catch (LedgerException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached to check the Consent's actor; nothing was stored. Retry later.", e);
        }
    }

    private static UnprocessableEntityException refused(String why) {
        return new UnprocessableEntityException("Consent not accepted: " + why
                + " (a Consent may name a clinician by ledger account only if that account is a CLINICIAN of this "
                + "institution or of an active member)");
    }
}
