package org.fhirledger.server.dev;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.DevIssuer;
import org.fhirledger.server.security.SecurityMode;
import org.fhirledger.server.security.SecurityProperties;
import org.fhirledger.server.security.TokenSettingsFile;
import org.springframework.boot.convert.DurationStyle;

/**
 * {@code bin/dev-token ROLE [--fhir-user Practitioner/123] [--ttl 1h] [--data-dir DIR]}: prints a bearer token
 * for the dev-mode server using that data directory. Details go to stderr, the token alone to stdout (last), so
 * {@code TOKEN=$(bin/dev-token CLINICIAN)} works. Runs without Spring: it only reads the dev issuer files.
 */
public final class DevToken {

    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int NOT_AVAILABLE = 3;
    private static final Duration MAX_TTL = Duration.ofDays(1);
    private static final String USAGE_TEXT =
            "usage: dev-token ROLE [--fhir-user Practitioner/123] [--scope 'patient/*.rs'] [--patient ID] [--ttl 1h] [--data-dir DIR]\n"
                    + "  ROLE: one of " + Arrays.toString(Role.values()) + "\n"
                    + "  --scope: SMART scopes, space-separated (default: openid [fhirUser] user/*.cruds)\n"
                    + "  --patient: the patient in context, for patient/ scopes\n"
                    + "  --ttl: token lifetime, e.g. 30m, 1h, PT2H (default 1h, at most 24h)\n"
                    + "  --data-dir: the server's data directory (default $DATA_DIR, else ./data)";

    private DevToken() {}

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String roleArg = null;
        String fhirUser = null;
        String scope = null;
        String patient = null;
        Duration ttl = Duration.ofHours(1);
        String dataDir = env.getOrDefault("DATA_DIR", "./data");
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--fhir-user" -> fhirUser = value(args, ++i, a);
                    case "--scope" -> scope = value(args, ++i, a);
                    case "--patient" -> patient = value(args, ++i, a);
                    case "--ttl" -> ttl = DurationStyle.detectAndParse(value(args, ++i, a));
                    case "--data-dir" -> dataDir = value(args, ++i, a);
                    case "-h", "--help" -> {
                        out.println(USAGE_TEXT);
                        return OK;
                    }
                    default -> {
                        if (a.startsWith("-") || roleArg != null) {
                            throw new IllegalArgumentException("unexpected argument '" + a + "'");
                        }
                        roleArg = a;
                    }
                }
            }
            if (roleArg == null) {
                throw new IllegalArgumentException("ROLE is missing");
            }
            if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
                throw new IllegalArgumentException("--ttl must be between 1s and 24h");
            }
        } catch (IllegalArgumentException e) {
            err.println("dev-token: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        Role role;
        try {
            role = Role.valueOf(roleArg.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            err.println(
                    "dev-token: unknown role '" + roleArg + "'; ROLE must be one of " + Arrays.toString(Role.values()));
            return USAGE;
        }

        Path dir = Path.of(dataDir).toAbsolutePath().normalize();
        DevTokenMinter minter;
        try {
            SecurityProperties settings = TokenSettingsFile.read(dir);
            if (settings != null && settings.mode() == SecurityMode.PRODUCTION) {
                err.println("dev-token: the server for " + dir + " runs with security.mode=production and trusts only "
                        + "its IdP; get a token from that IdP instead");
                return NOT_AVAILABLE;
            }
            DevIssuer issuer = DevIssuer.load(dir);
            minter = new DevTokenMinter(
                    issuer,
                    settings != null
                            ? settings
                            : new SecurityProperties(SecurityMode.DEV, null, null, null, null, null));
        } catch (IllegalStateException | IOException e) {
            err.println("dev-token: " + e.getMessage());
            return NOT_AVAILABLE;
        }
        DevTokenMinter.Minted minted;
        try {
            minted = minter.mint(role, fhirUser, scope, patient, ttl, Instant.now());
        } catch (IllegalArgumentException e) {
            err.println("dev-token: " + e.getMessage());
            return USAGE;
        }
        err.println("role " + role + (fhirUser == null ? "" : ", fhirUser " + fhirUser) + ", ledger address "
                + minted.ledgerAddress() + ", subject " + minted.subject() + ", expires " + minted.expiresAt());
        try {
            err.println(DevLedgerRoles.ensure(dir, role, fhirUser, minted.ledgerAddress()));
        } catch (IllegalStateException | IOException e) {
            err.println("dev-token: " + e.getMessage());
            return NOT_AVAILABLE;
        }
        err.flush();
        out.println(minted.token());
        out.flush();
        return OK;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
