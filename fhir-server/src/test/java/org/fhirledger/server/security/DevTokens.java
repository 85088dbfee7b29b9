package org.fhirledger.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.dev.DevLedgerRoles;
import org.fhirledger.server.dev.DevTokenMinter;

/**
 * For tests outside this package: a dev token for the server using {@code dataDir}, minted as bin/dev-token does,
 * including the role on the server's chain (when the server runs with the ledger).
 */
public final class DevTokens {

    private DevTokens() {}

    public record Minted(String token, String ledgerAddress) {}

    public static String mint(Path dataDir, Role role, String fhirUser) {
        return mintFor(dataDir, role, fhirUser).token();
    }

    /** A token with these SMART scopes (space-separated) and, for patient/ scopes, this patient in context. */
    public static String mintScoped(Path dataDir, Role role, String fhirUser, String scope, String patient) {
        try {
            SecurityProperties settings = TokenSettingsFile.read(dataDir);
            DevTokenMinter.Minted minted = new DevTokenMinter(DevIssuer.load(dataDir), settings)
                    .mint(role, fhirUser, scope, patient, Duration.ofHours(1), Instant.now());
            DevLedgerRoles.ensure(dataDir, role, fhirUser, minted.ledgerAddress());
            return minted.token();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The token and the ledger address it carries. */
    public static Minted mintFor(Path dataDir, Role role, String fhirUser) {
        try {
            SecurityProperties settings = TokenSettingsFile.read(dataDir);
            DevTokenMinter.Minted minted = new DevTokenMinter(DevIssuer.load(dataDir), settings)
                    .mint(role, fhirUser, Duration.ofHours(1), Instant.now());
            DevLedgerRoles.ensure(dataDir, role, fhirUser, minted.ledgerAddress()); // as bin/dev-token does
            return new Minted(minted.token(), minted.ledgerAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
