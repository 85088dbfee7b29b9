package org.fhirledger.server.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.util.HexFormat;
import org.fhirledger.files.OwnerOnlyFiles;

/**
 * The dev-mode token issuer: an EC P-256 signing key (ES256) and a secret for deriving callers' ledger keys,
 * both in {@code ${data-dir}/dev-issuer/} with owner-only permissions. The server creates them on first start
 * in dev mode; {@code bin/dev-token} only ever reads them.
 */
public final class DevIssuer {

    public static final String ISSUER = "urn:fhir-ledger:dev-issuer";
    static final String DIRECTORY = "dev-issuer";
    static final String SIGNING_KEY_FILE = "signing-key.jwk.json";
    static final String ADDRESS_SECRET_FILE = "address-secret.hex";

    private final ECKey signingKey;
    private final byte[] addressSecret;

    private DevIssuer(ECKey signingKey, byte[] addressSecret) {
        this.signingKey = signingKey;
        this.addressSecret = addressSecret;
    }

    public static Path directory(Path dataDir) {
        return dataDir.resolve(DIRECTORY);
    }

    /** For the server in dev mode: loads the issuer, creating whatever part is missing. */
    public static DevIssuer loadOrCreate(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path dir = directory(dataDir);
            OwnerOnlyFiles.createDirectory(dir);
            OwnerOnlyFiles.createIfAbsent(
                    dir.resolve(SIGNING_KEY_FILE),
                    newSigningKey().toJSONString().getBytes(StandardCharsets.UTF_8));
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            OwnerOnlyFiles.createIfAbsent(
                    dir.resolve(ADDRESS_SECRET_FILE),
                    HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
            return load(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot set up the dev issuer in " + directory(dataDir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * For bin/dev-token: loads an existing issuer. @throws IllegalStateException when the server has never been
     * started in dev mode with this data directory
     */
    public static DevIssuer load(Path dataDir) throws IOException {
        Path dir = directory(dataDir);
        Path keyFile = dir.resolve(SIGNING_KEY_FILE);
        Path secretFile = dir.resolve(ADDRESS_SECRET_FILE);
        if (!Files.isRegularFile(keyFile) || !Files.isRegularFile(secretFile)) {
            throw new IllegalStateException("No dev issuer key in " + dir + ": start the server once in dev mode with "
                    + "this data directory (bin/run with the same DATA_DIR) so it creates one");
        }
        OwnerOnlyFiles.requireOwnerOnly(dir, OwnerOnlyFiles.DIR);
        try {
            ECKey key = ECKey.parse(new String(OwnerOnlyFiles.read(keyFile), StandardCharsets.UTF_8));
            if (!key.isPrivate() || !Curve.P_256.equals(key.getCurve())) {
                throw new IOException(keyFile + " is not a private EC P-256 JWK");
            }
            byte[] secret = HexFormat.of()
                    .parseHex(new String(OwnerOnlyFiles.read(secretFile), StandardCharsets.US_ASCII).trim());
            if (secret.length < 32) {
                throw new IOException(secretFile + " must hold at least 32 bytes (64 hex digits)");
            }
            return new DevIssuer(key, secret);
        } catch (ParseException | IllegalArgumentException e) {
            throw new IOException("Cannot read the dev issuer key in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static ECKey newSigningKey() {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true)
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("Cannot generate the dev issuer key", e);
        }
    }

    /** The private signing key: only for minting dev tokens (bin/dev-token, the embedded authorisation server). */
    public ECKey signingKey() {
        return signingKey;
    }

    /** What the server trusts: the public half only. */
    public ECKey verificationKey() {
        return signingKey.toPublicJWK();
    }

    public byte[] addressSecret() {
        return addressSecret.clone();
    }
}
