package org.fhirledger.server.smart.dev;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.dev.DevLedgerKeys;
import org.fhirledger.server.dev.DevLedgerRoles;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.DevIssuer;

/** The dev ledger account of a (role, fhirUser), the same bin/dev-token uses, holding its role on the local chain. */
final class DevLedgerAccounts {

    private final DevIssuer issuer;

    DevLedgerAccounts(DevIssuer issuer) {
        this.issuer = issuer;
    }

    String address(Role role, String fhirUser) {
        return DevLedgerKeys.address(issuer.addressSecret(), role, fhirUser);
    }

    /** The dev user as the FHIR API would see them with one of their tokens (no scopes: for the chain's answer). */
    Caller caller(DevUser user) {
        return new Caller(user.subject(), address(user.role(), user.fhirUser()), user.fhirUser(), Set.of());
    }

    /** As bin/dev-token does: assigns the role on chain unless the account holds it already. */
    void ensureRole(Path dataDir, Role role, String fhirUser) throws IOException {
        DevLedgerRoles.ensure(dataDir, role, fhirUser, address(role, fhirUser));
    }
}
