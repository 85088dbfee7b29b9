package org.fhirledger.server.security;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import org.fhirledger.files.DurableFiles;

/**
 * {@code ${data-dir}/token-settings.properties}: what the server last started with (mode, audience, claim names),
 * written at every start so that bin/dev-token mints tokens this server accepts, and refuses in production mode.
 * Holds no secret.
 */
public final class TokenSettingsFile {

    static final String FILE = "token-settings.properties";

    private TokenSettingsFile() {}

    public static void write(Path dataDir, SecurityProperties settings) {
        Properties p = new Properties();
        p.setProperty("mode", settings.mode().name().toLowerCase(Locale.ROOT));
        p.setProperty("ledger-address-claim", settings.ledgerAddressClaim());
        p.setProperty("fhir-user-claim", settings.fhirUserClaim());
        if (settings.audience() != null) {
            p.setProperty("audience", settings.audience());
        }
        try {
            Files.createDirectories(dataDir);
            StringWriter text = new StringWriter();
            p.store(text, "Written by the FHIR server at start-up, read by bin/dev-token. Do not edit.");
            // through an owner-only temp file, like everything under the data directory
            DurableFiles.writeAtomically(dataDir.resolve(FILE), text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + dataDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** @return the settings the server last started with, or null when it never started with this data directory */
    public static SecurityProperties read(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        SecurityMode mode = "production".equals(p.getProperty("mode")) ? SecurityMode.PRODUCTION : SecurityMode.DEV;
        // Production needs an IdP setting to be valid; its value does not matter to dev-token, which refuses then.
        return new SecurityProperties(
                mode,
                mode == SecurityMode.PRODUCTION ? "unknown" : null,
                null,
                p.getProperty("audience"),
                p.getProperty("ledger-address-claim"),
                p.getProperty("fhir-user-claim"));
    }
}
