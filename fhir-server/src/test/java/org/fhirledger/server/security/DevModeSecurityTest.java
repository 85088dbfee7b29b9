package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.server.security.HttpProbe.PATIENT;
import static org.fhirledger.server.security.HttpProbe.assertUnauthorized;
import static org.fhirledger.server.security.HttpProbe.bearer;
import static org.fhirledger.server.security.HttpProbe.request;
import static org.fhirledger.server.security.TestJwts.sign;
import static org.fhirledger.server.security.TestJwts.validClaims;

import ca.uhn.fhir.rest.server.RestfulServer;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.dev.DevToken;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;

/**
 * The server as bin/run starts it (dev mode, H2 file): which requests get in. Shares the Spring context of the
 * H2 API suites (same configuration), so it costs no extra start-up.
 */
@ContextConfiguration(initializers = H2FileInitializer.class)
class DevModeSecurityTest extends ServerTestBase {

    @Autowired
    RestfulServer fhirServer;

    @Autowired
    CallerAccessor callers;

    @Test
    void hapiInterceptorsSeeTheCallerOfTheToken() {
        CallerProbe probe = new CallerProbe(callers);
        fhirServer.registerInterceptor(probe);
        try {
            Result minted = devToken(
                    "PATIENT",
                    "--fhir-user",
                    "Patient/p-777",
                    "--data-dir",
                    dataDir().toString());
            HttpResponse<String> r = request("GET", baseUrl() + "/Patient?_id=p-777", bearer(minted.lastLine()), null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            Caller caller = probe.seen.get().orElseThrow();
            assertThat(caller.subject()).isEqualTo("dev:patient:Patient/p-777");
            assertThat(caller.fhirUser()).isEqualTo("Patient/p-777");
            assertThat(caller.ledgerAddress()).isEqualTo(addressOf(minted));
            assertThat(caller.scopes()).containsExactlyInAnyOrder("openid", "fhirUser", "user/*.cruds");
        } finally {
            fhirServer.unregisterInterceptor(probe);
        }
        assertThat(callers.current()).as("nothing leaks to the test thread").isEmpty();
    }

    private ECKey devKey() throws IOException {
        return DevIssuer.load(dataDir()).signingKey();
    }

    private String root() {
        return baseUrl().substring(0, baseUrl().length() - "/fhir".length());
    }

    @Test
    void everyKindOfBadTokenIs401WithOperationOutcomeAndStoresNothing() throws Exception {
        ECKey key = devKey();
        String iss = DevIssuer.ISSUER;
        Instant now = Instant.now();
        ECKey impostor = TestJwts.newEcKey(key.getKeyID()); // same kid, different key

        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("no Authorization header", null);
        cases.put("empty bearer", "Bearer ");
        cases.put("malformed token", bearer("not-a-jwt"));
        cases.put("three garbage parts", bearer("abc.def.ghi"));
        cases.put("Basic instead of Bearer", "Basic dXNlcjpwYXNzd29yZA==");
        cases.put(
                "expired",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss)
                                .issueTime(Date.from(now.minusSeconds(7200)))
                                .expirationTime(Date.from(now.minusSeconds(600)))
                                .build())));
        cases.put(
                "not yet valid",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss)
                                .notBeforeTime(Date.from(now.plusSeconds(600)))
                                .build())));
        cases.put(
                "wrong issuer",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims("https://evil.example").build())));
        cases.put(
                "no issuer",
                bearer(sign(key, JWSAlgorithm.ES256, validClaims(null).build())));
        cases.put(
                "signed by another key",
                bearer(sign(impostor, JWSAlgorithm.ES256, validClaims(iss).build())));
        cases.put("unsigned (alg none)", bearer(new PlainJWT(validClaims(iss).build()).serialize()));
        cases.put("HMAC instead of ES256", bearer(hmacSigned(validClaims(iss).build())));
        cases.put(
                "tampered payload",
                bearer(tampered(sign(key, JWSAlgorithm.ES256, validClaims(iss).build()))));
        cases.put(
                "no expiry",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss).expirationTime(null).build())));
        cases.put(
                "no subject",
                bearer(sign(
                        key, JWSAlgorithm.ES256, validClaims(iss).subject(null).build())));
        cases.put(
                "no ledger address",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss).claim("ledger_address", null).build())));
        cases.put(
                "short ledger address",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss).claim("ledger_address", "0x1234").build())));
        cases.put(
                "ledger address with bad checksum",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss)
                                .claim("ledger_address", "0x52908400098527886E0F7030069857D2E4169ee7")
                                .build())));
        cases.put(
                "fhirUser not a user type",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss).claim("fhirUser", "Observation/1").build())));
        cases.put(
                "scope neither string nor array",
                bearer(sign(
                        key,
                        JWSAlgorithm.ES256,
                        validClaims(iss).claim("scope", 42).build())));

        long before = storedVersionCount();
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertUnauthorized(request("POST", baseUrl() + "/Patient", c.getValue(), PATIENT), "create, " + c.getKey());
            assertUnauthorized(request("GET", baseUrl() + "/Patient", c.getValue(), null), "search, " + c.getKey());
        }
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    void aRejectedTokenSaysWhyInTheHeader() throws Exception {
        String expired = sign(
                devKey(),
                JWSAlgorithm.ES256,
                validClaims(DevIssuer.ISSUER)
                        .issueTime(Date.from(Instant.now().minusSeconds(3600)))
                        .expirationTime(Date.from(Instant.now().minusSeconds(600)))
                        .build());
        HttpResponse<String> r = request("GET", baseUrl() + "/Patient", bearer(expired), null);
        assertUnauthorized(r, "expired");
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(r.body()).contains("expired").doesNotContain(expired);
    }

    @Test
    void noClinicalDataAnonymously() {
        long before = storedVersionCount();
        for (String[] req : List.of(
                new String[] {"GET", "/Patient/1"},
                new String[] {"GET", "/Patient?name=x"},
                new String[] {"GET", "/Observation?_count=1"},
                new String[] {"GET", "/_history"},
                new String[] {"GET", "/Patient/$everything"},
                new String[] {"DELETE", "/Patient/1"},
                new String[] {"POST", "/metadata"})) {
            assertUnauthorized(request(req[0], baseUrl() + req[1], null, null), req[0] + " " + req[1]);
        }
        String tx = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + PATIENT
                + ",\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}]}";
        assertUnauthorized(request("POST", baseUrl(), null, tx), "transaction");
        assertThat(storedVersionCount()).isEqualTo(before);
    }

    @Test
    void capabilityStatementAndHealthArePublic() {
        for (String path : List.of("/metadata", "/metadata?_format=json", "/metadata?_format=application/fhir+json")) {
            HttpResponse<String> r = request("GET", baseUrl() + path, null, null);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"resourceType\":\"CapabilityStatement\"");
        }
        for (String path : List.of("/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness")) {
            HttpResponse<String> r = request("GET", root() + path, null, null);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).contains("UP");
        }
    }

    @Test
    void aValidDevTokenGetsIn() {
        String token = bearer(bearerToken());
        HttpResponse<String> created = request("POST", baseUrl() + "/Patient", token, PATIENT);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String location = created.headers().firstValue("Location").orElseThrow();
        String id = location.replaceAll(".*/Patient/([^/]+)/_history/.*", "$1");
        HttpResponse<String> read = request("GET", baseUrl() + "/Patient/" + id, token, null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("Probe");
        // Same data anonymously: refused, and the refusal does not carry it.
        HttpResponse<String> anonymous = request("GET", baseUrl() + "/Patient/" + id, null, null);
        assertUnauthorized(anonymous, "anonymous read of an existing patient");
        assertThat(anonymous.body()).doesNotContain("Probe");
    }

    @Test
    void devIssuerFilesAreOwnerOnly() throws IOException {
        Path dir = DevIssuer.directory(dataDir());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
                .isEqualTo("rwx------");
        try (var files = Files.list(dir)) {
            List<Path> all = files.toList();
            assertThat(all)
                    .extracting(p -> p.getFileName().toString())
                    .containsExactlyInAnyOrder(DevIssuer.SIGNING_KEY_FILE, DevIssuer.ADDRESS_SECRET_FILE);
            for (Path f : all) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                        .as(f.toString())
                        .isEqualTo("rw-------");
            }
        }
        assertThat(Files.readString(dataDir().resolve(TokenSettingsFile.FILE))).contains("mode=dev");
    }

    @Test
    void devTokenCommandPrintsATokenThisServerAccepts() {
        Result r = devToken(
                "CLINICIAN",
                "--fhir-user",
                "Practitioner/p-123",
                "--data-dir",
                dataDir().toString());
        assertThat(r.exit).as(r.err).isZero();
        String token = r.lastLine();
        // a clinician registers patients once they are in the directory (the admin's part)
        Result admin = devToken("ADMIN", "--data-dir", dataDir().toString());
        assertThat(admin.exit).as(admin.err).isZero();
        HttpResponse<String> listed = request(
                "PUT",
                baseUrl() + "/Practitioner/p-123",
                bearer(admin.lastLine()),
                "{\"resourceType\":\"Practitioner\",\"id\":\"p-123\"}");
        assertThat(listed.statusCode()).as(listed.body()).isIn(200, 201);
        HttpResponse<String> created = request("POST", baseUrl() + "/Patient", bearer(token), PATIENT);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        Caller caller = new CallerClaims("ledger_address", "fhirUser")
                .toCaller(BearerTokenDecoders.dev(
                                loadIssuer(), new SecurityProperties(null, null, null, null, null, null))
                        .decode(token));
        assertThat(caller.fhirUser()).isEqualTo("Practitioner/p-123");
        assertThat(caller.ledgerAddress()).matches("0x[0-9a-f]{40}");
        assertThat(r.err).containsIgnoringCase(caller.ledgerAddress());

        // Stable per (role, fhirUser), distinct otherwise.
        assertThat(addressOf(devToken(
                        "CLINICIAN",
                        "--fhir-user",
                        "Practitioner/p-123",
                        "--data-dir",
                        dataDir().toString())))
                .isEqualTo(caller.ledgerAddress());
        assertThat(addressOf(devToken(
                        "CLINICIAN",
                        "--fhir-user",
                        "Practitioner/124",
                        "--data-dir",
                        dataDir().toString())))
                .isNotEqualTo(caller.ledgerAddress());
        assertThat(addressOf(devToken("AUDITOR", "--data-dir", dataDir().toString())))
                .isNotEqualTo(caller.ledgerAddress());
        // one identity, one account on chain: another role's account cannot be bound to Practitioner/p-123 too
        Result taken = devToken(
                "PATIENT",
                "--fhir-user",
                "Practitioner/p-123",
                "--data-dir",
                dataDir().toString());
        assertThat(taken.exit).as(taken.err).isEqualTo(DevToken.NOT_AVAILABLE);
        assertThat(taken.err).contains("IdentityTaken");
        // DATA_DIR from the environment, as bin/run and bin/dev-token share it.
        assertThat(addressOf(devToken(
                        Map.of("DATA_DIR", dataDir().toString()), "clinician", "--fhir-user", "Practitioner/p-123")))
                .isEqualTo(caller.ledgerAddress());
    }

    @Test
    void devTokenTtlIsHonoured() {
        Result r = devToken("AUDITOR", "--ttl", "2m", "--data-dir", dataDir().toString());
        assertThat(r.exit).as(r.err).isZero();
        Instant exp = BearerTokenDecoders.dev(loadIssuer(), new SecurityProperties(null, null, null, null, null, null))
                .decode(r.lastLine())
                .getExpiresAt();
        assertThat(exp).isBetween(Instant.now().plusSeconds(60), Instant.now().plusSeconds(121));
    }

    @Test
    void devTokenRefusesBadArgumentsClearly() {
        String dd = dataDir().toString();
        Result unknownRole = devToken("SUPERUSER", "--data-dir", dd);
        assertThat(unknownRole.exit).isEqualTo(DevToken.USAGE);
        assertThat(unknownRole.err).contains("unknown role 'SUPERUSER'").contains("CLINICIAN");
        assertThat(unknownRole.out).isEmpty();

        Result badFhirUser = devToken("CLINICIAN", "--fhir-user", "Observation/1", "--data-dir", dd);
        assertThat(badFhirUser.exit).isEqualTo(DevToken.USAGE);
        assertThat(badFhirUser.err).contains("--fhir-user").contains("Practitioner/123");
        assertThat(badFhirUser.out).isEmpty();

        Result noRole = devToken("--data-dir", dd);
        assertThat(noRole.exit).isEqualTo(DevToken.USAGE);
        assertThat(noRole.err).contains("ROLE is missing");

        Result badTtl = devToken("ADMIN", "--ttl", "forever", "--data-dir", dd);
        assertThat(badTtl.exit).isEqualTo(DevToken.USAGE);
        Result hugeTtl = devToken("ADMIN", "--ttl", "30d", "--data-dir", dd);
        assertThat(hugeTtl.exit).isEqualTo(DevToken.USAGE);
        assertThat(hugeTtl.err).contains("24h");
    }

    @Test
    void devTokenRefusesADataDirectoryNoServerHasUsed() throws IOException {
        Path empty = Files.createTempDirectory(Path.of("target"), "never-started-");
        Result r = devToken("ADMIN", "--data-dir", empty.toString());
        assertThat(r.exit).isEqualTo(DevToken.NOT_AVAILABLE);
        assertThat(r.err).contains("No dev issuer key").contains("start the server");
        assertThat(r.out).isEmpty();
    }

    private DevIssuer loadIssuer() {
        try {
            return DevIssuer.load(dataDir());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String addressOf(Result r) {
        assertThat(r.exit).as(r.err).isZero();
        return new CallerClaims("ledger_address", "fhirUser")
                .toCaller(BearerTokenDecoders.dev(
                                loadIssuer(), new SecurityProperties(null, null, null, null, null, null))
                        .decode(r.lastLine()))
                .ledgerAddress();
    }

    record Result(int exit, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static Result devToken(String... args) {
        return devToken(Map.of(), args);
    }

    static Result devToken(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = DevToken.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String hmacSigned(JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(new byte[32]));
        return jwt.serialize();
    }

    /** Same header and signature, payload changed to another subject. */
    private static String tampered(String token) {
        String[] parts = token.split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"test-user\"", "\"admin-user\"");
        return parts[0] + "."
                + java.util.Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
    }
}
