package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevIssuer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * SMART on FHIR against the running dev server: discovery, CORS, the embedded authorisation server driven as a
 * browser and a backend service drive it (real HTTP, real redirects, real PKCE and JWT client assertions), and
 * FHIR calls with the tokens it issues.
 */
@ContextConfiguration(initializers = H2FileInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmartOnFhirTest extends ServerTestBase {

    static final String APP = "test-app";
    static final String REDIRECT = "http://127.0.0.1:1/callback";
    static final String BACKEND = "test-backend";
    static final String CONFIDENTIAL = "test-web-app";
    static final RSAKey BACKEND_KEY = rsa();
    static HttpServer jwks;

    @DynamicPropertySource
    static void clients(DynamicPropertyRegistry registry) throws Exception {
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] set = new JWKSet(BACKEND_KEY.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks.json", x -> {
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, set.length);
            x.getResponseBody().write(set);
            x.close();
        });
        jwks.start();
        registry.add("smart.dev-authorization-server.clients[0].client-id", () -> APP);
        registry.add("smart.dev-authorization-server.clients[0].redirect-uris[0]", () -> REDIRECT);
        registry.add(
                "smart.dev-authorization-server.clients[0].scopes",
                () -> "openid,fhirUser,launch/patient,offline_access,patient/*.rs,user/*.rs,user/*.cruds");
        registry.add("smart.dev-authorization-server.clients[1].client-id", () -> BACKEND);
        registry.add(
                "smart.dev-authorization-server.clients[1].jwk-set-url",
                () -> "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json");
        registry.add("smart.dev-authorization-server.clients[1].role", () -> "CUSTODIAN");
        registry.add("smart.dev-authorization-server.clients[2].client-id", () -> CONFIDENTIAL);
        registry.add("smart.dev-authorization-server.clients[2].client-secret", () -> "s3cret");
        registry.add("smart.dev-authorization-server.clients[2].redirect-uris[0]", () -> REDIRECT);
        registry.add("smart.allowed-origins", () -> "http://localhost:[*],https://app.example.org");
    }

    @AfterAll
    void stopJwks() {
        jwks.stop(0);
    }

    String server;
    String p1;
    String p2;
    String o1;
    String o2;
    String p3;

    @BeforeAll
    void patients() {
        server = baseUrl().substring(0, baseUrl().length() - "/fhir".length());
        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(put(
                                admin,
                                "/Practitioner/smart-dr",
                                "{\"resourceType\":\"Practitioner\",\"id\":\"smart-dr\","
                                        + "\"name\":[{\"family\":\"Smart\"}]}")
                        .statusCode())
                .isIn(200, 201);
        String dr = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smart-dr");
        p1 = created(post(dr, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"First\"}]}"));
        p2 = created(post(dr, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Second\"}]}"));
        o1 = created(post(dr, "/Observation", observation(p1)));
        o2 = created(post(dr, "/Observation", observation(p2)));
        assertThat(put(
                                admin,
                                "/Practitioner/smart-other",
                                "{\"resourceType\":\"Practitioner\",\"id\":\"smart-other\","
                                        + "\"name\":[{\"family\":\"Other\"}]}")
                        .statusCode())
                .isIn(200, 201);
        // another clinician's patient: smart-dr has no consent for it
        String other = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smart-other");
        p3 = created(post(other, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Third\"}]}"));
    }

    static String observation(String patient) {
        return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                + "\"http://loinc.org\",\"code\":\"718-7\"}]},\"subject\":{\"reference\":\"Patient/" + patient + "\"}}";
    }

    // ---- scopes narrow what the chain allows

    String scoped(String scope, String patient) {
        return DevTokens.mintScoped(dataDir(), Role.CLINICIAN, "Practitioner/smart-dr", scope, patient);
    }

    @Test
    void aPatientScopeConfinesAClinicianWithWiderConsentToThePatientInContext() {
        String t = scoped("patient/*.rs", p1);
        assertThat(get(t, "/Patient/" + p1).statusCode()).isEqualTo(200);
        assertThat(get(t, "/Observation/" + o1).statusCode()).isEqualTo(200);
        // the chain lets this clinician read p2 (they registered p2); the token's patient context does not
        for (String path :
                java.util.List.of("/Patient/" + p2, "/Observation/" + o2, "/Observation/" + o2 + "/_history")) {
            HttpResponse<String> r = get(t, path);
            assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(404);
            assertThat(body(r).at("/issue/0/code").asText()).isEqualTo("not-found");
            assertThat(r.body()).doesNotContain("Second");
        }
        JsonNode own = body(get(t, "/Observation?patient=" + p1));
        assertThat(own.path("total").asInt()).isEqualTo(1);
        assertThat(get(t, "/Observation?patient=" + p2).statusCode()).isEqualTo(403);
        assertThat(get(t, "/Observation?patient=" + p1 + "," + p2).statusCode()).isEqualTo(403);
        assertThat(get(t, "/Observation?code=http://loinc.org|718-7").statusCode())
                .isEqualTo(403);
        // includes of other types are shown only within the scopes, too
        JsonNode withObs = body(get(t, "/Patient?_id=" + p1 + "&_revinclude=Observation:subject"));
        assertThat(withObs.path("entry").size()).isEqualTo(2);
        JsonNode patientOnly =
                body(get(scoped("patient/Patient.rs", p1), "/Patient?_id=" + p1 + "&_revinclude=Observation:subject"));
        assertThat(patientOnly.path("entry").size()).as(patientOnly.toString()).isEqualTo(1);
        // read scopes write nothing, and a write scope writes only the patient in context
        long versions = storedVersionCount();
        HttpResponse<String> write = post(t, "/Observation", observation(p1));
        assertThat(write.statusCode()).isEqualTo(403);
        assertThat(body(write).at("/issue/0/diagnostics").asText()).contains("'c' on Observation");
        String writer = scoped("patient/*.cruds", p1);
        assertThat(post(writer, "/Observation", observation(p2)).statusCode()).isEqualTo(403);
        assertThat(storedVersionCount()).isEqualTo(versions);
        assertThat(post(writer, "/Observation", observation(p1)).statusCode()).isEqualTo(201);
    }

    @Test
    void aScopeOnOneTypeGrantsNoOtherAndNoResourceScopeGrantsNothing() {
        String observations = scoped("user/Observation.rs", null);
        assertThat(get(observations, "/Observation?patient=" + p2).statusCode()).isEqualTo(200);
        HttpResponse<String> patient = get(observations, "/Patient/" + p1);
        assertThat(patient.statusCode()).isEqualTo(403);
        assertThat(body(patient).at("/issue/0/diagnostics").asText()).contains("'r' on Patient");
        // audited like every refusal, with the reason
        JsonNode refusals = body(get(bearerToken(), "/AuditEvent?outcome=4&_sort=-date&_count=50"));
        assertThat(refusals.toString()).contains("no scope granting 'r' on Patient");
        assertThat(get(scoped("openid fhirUser", null), "/Observation/" + o1).statusCode())
                .isEqualTo(403);
        // v1 forms are read as v2
        assertThat(get(scoped("user/*.read", null), "/Patient/" + p1).statusCode())
                .isEqualTo(200);
        assertThat(post(scoped("user/*.read", null), "/Observation", observation(p1))
                        .statusCode())
                .isEqualTo(403);
        // a patient/ scope without a patient in context grants nothing
        assertThat(get(scoped("patient/*.rs", null), "/Patient/" + p1).statusCode())
                .isEqualTo(403);
    }

    // ---- clinicians find patients by identifier; patient-scoped tokens see one patient

    static String withIdentifier(String family, String value) {
        return "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"urn:oid:1.2.36.146.595.217.0.1\","
                + "\"value\":\"" + value + "\"}],\"name\":[{\"family\":\"" + family + "\"}]}";
    }

    @Test
    void aClinicianFindsAConsentingPatientByIdentifierAndAnotherClinicianSPatientLooksLikeNoSuchPatient() {
        String dr = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smart-dr");
        String other = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smart-other");
        // one MRN on two records (theirs and another clinician's), and an MRN only another clinician's patient has
        String mine = created(post(dr, "/Patient", withIdentifier("Mine", "MRN-4711")));
        created(post(other, "/Patient", withIdentifier("Theirs", "MRN-4711")));
        created(post(other, "/Patient", withIdentifier("Hidden", "MRN-4712")));
        String system = "urn:oid:1.2.36.146.595.217.0.1";

        JsonNode found = body(get(dr, "/Patient?identifier=" + system + "|MRN-4711"));
        assertThat(found.path("total").asInt()).as(found.toString()).isEqualTo(1);
        assertThat(found.at("/entry/0/resource/id").asText()).isEqualTo(mine);
        assertThat(found.toString()).doesNotContain("Theirs");
        JsonNode count = body(get(dr, "/Patient?identifier=" + system + "|MRN-4711&_summary=count"));
        assertThat(count.path("total").asInt()).isEqualTo(1);

        HttpResponse<String> hidden = get(dr, "/Patient?identifier=" + system + "|MRN-4712");
        HttpResponse<String> nowhere = get(dr, "/Patient?identifier=" + system + "|MRN-0000");
        assertThat(hidden.statusCode()).isEqualTo(200).isEqualTo(nowhere.statusCode());
        JsonNode h = body(hidden);
        JsonNode n = body(nowhere);
        assertThat(h.path("total").asInt()).isZero();
        assertThat(h.has("entry")).isFalse();
        assertThat(hidden.body()).doesNotContain("Hidden").doesNotContain("\"entry\"");
        // the same answer in shape: same fields, same counts, nothing but the search's own link and id differ
        assertThat(fieldNames(h)).isEqualTo(fieldNames(n));
        assertThat(h.path("link").size()).isEqualTo(n.path("link").size());
        assertThat(body(get(dr, "/Patient?identifier=" + system + "|MRN-4712&_summary=count"))
                        .path("total")
                        .asInt())
                .isZero();
    }

    @Test
    void aPatientScopedTokenSearchesOnlyItsPatient() {
        String t = scoped("patient/*.rs", p1);
        JsonNode byId = body(get(t, "/Patient?_id=" + p1));
        assertThat(byId.path("total").asInt()).isEqualTo(1);
        assertThat(byId.at("/entry/0/resource/id").asText()).isEqualTo(p1);
        // a search that would also find the clinician's other patients is refused, not answered with their count
        for (String path : java.util.List.of("/Patient", "/Patient?_id=" + p1 + "," + p2, "/Patient?name=Second")) {
            HttpResponse<String> r = get(t, path);
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            assertThat(r.body()).doesNotContain("Second");
        }
        JsonNode obs = body(get(t, "/Observation?patient=" + p1 + "&_include=Observation:subject"));
        assertThat(obs.path("total").asInt()).isEqualTo(1);
        for (JsonNode e : obs.path("entry")) {
            JsonNode r = e.path("resource");
            String about = "Patient".equals(r.path("resourceType").asText())
                    ? r.path("id").asText()
                    : r.at("/subject/reference").asText().replace("Patient/", "");
            assertThat(about).isEqualTo(p1);
        }
        assertThat(obs.toString()).doesNotContain(o2).doesNotContain("Second");
        // naming no patient: narrowed to the patients the clinician sees (both), which the patient context refuses
        assertThat(get(t, "/Observation").statusCode()).isEqualTo(403);
        // ... and to the patient's own record for the patient, which it allows
        String own = DevTokens.mintScoped(dataDir(), Role.PATIENT, "Patient/" + p1, "patient/*.rs", p1);
        HttpResponse<String> count = get(own, "/Observation?code=http://loinc.org|718-7&_summary=count");
        assertThat(count.statusCode()).as(count.body()).isEqualTo(200);
        HttpResponse<String> listed = get(own, "/Observation?code=http://loinc.org|718-7&_count=100");
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (JsonNode e : body(listed).path("entry")) {
            ids.add(e.at("/resource/id").asText());
            assertThat(e.at("/resource/subject/reference").asText()).isEqualTo("Patient/" + p1);
        }
        assertThat(ids).contains(o1).doesNotContain(o2);
        assertThat(body(count).path("total").asInt()).isEqualTo(ids.size());
    }

    static java.util.Set<String> fieldNames(JsonNode n) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aWideScopeDoesNotWidenWhatTheChainAllows() {
        String other = DevTokens.mintScoped(
                dataDir(), Role.CLINICIAN, "Practitioner/smart-other", "user/*.cruds system/*.cruds", p1);
        assertThat(get(other, "/Patient/" + p1).statusCode()).isEqualTo(404);
        assertThat(get(other, "/Observation?patient=" + p1).statusCode()).isEqualTo(403);
    }

    // ---- discovery

    @Test
    void smartConfigurationIsPublicAndNamesTheEmbeddedAuthorisationServer() {
        HttpResponse<String> r = plain("GET", server + "/fhir/.well-known/smart-configuration", Map.of());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode c = body(r);
        assertThat(c.path("authorization_endpoint").asText()).isEqualTo(server + "/oauth2/authorize");
        assertThat(c.path("token_endpoint").asText()).isEqualTo(server + "/oauth2/token");
        assertThat(c.path("jwks_uri").asText()).isEqualTo(server + "/oauth2/jwks");
        assertThat(c.path("issuer").asText()).isEqualTo(server);
        assertThat(texts(c.path("code_challenge_methods_supported"))).containsExactly("S256");
        assertThat(texts(c.path("grant_types_supported")))
                .contains("authorization_code", "client_credentials", "refresh_token");
        assertThat(texts(c.path("token_endpoint_auth_methods_supported"))).contains("private_key_jwt", "none");
        assertThat(texts(c.path("capabilities")))
                .contains(
                        "launch-standalone",
                        "client-public",
                        "client-confidential-asymmetric",
                        "context-standalone-patient",
                        "permission-v2",
                        "permission-patient",
                        "permission-user");
        // what it names is really there
        JsonNode keys = body(plain("GET", c.path("jwks_uri").asText(), Map.of()));
        assertThat(keys.path("keys").path(0).path("kty").asText()).isEqualTo("EC");
        assertThat(keys.path("keys").path(0).has("d")).isFalse();
    }

    @Test
    void theCapabilityStatementDeclaresSmartWithTheOauthUris() {
        JsonNode cs = body(plain("GET", baseUrl() + "/metadata", Map.of("Accept", "application/fhir+json")));
        JsonNode security = cs.at("/rest/0/security");
        assertThat(security.at("/service/0/coding/0/code").asText()).isEqualTo("SMART-on-FHIR");
        assertThat(security.path("cors").asBoolean()).isTrue();
        JsonNode ext = security.path("extension").path(0);
        assertThat(ext.path("url").asText()).isEqualTo(SmartCapabilities.OAUTH_URIS);
        assertThat(ext.toString()).contains(server + "/oauth2/authorize").contains(server + "/oauth2/token");
    }

    // ---- CORS

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredAndOneFromAnotherOriginIsRefused() {
        Map<String, String> preflight = new LinkedHashMap<>();
        preflight.put("Origin", "http://localhost:5173");
        preflight.put("Access-Control-Request-Method", "PUT");
        preflight.put("Access-Control-Request-Headers", "authorization,content-type,if-match");
        HttpResponse<String> ok = plain("OPTIONS", baseUrl() + "/Patient/1", preflight);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://localhost:5173");
        assertThat(ok.headers()
                        .firstValue("Access-Control-Allow-Headers")
                        .orElse("")
                        .toLowerCase())
                .contains("authorization")
                .contains("if-match");
        HttpResponse<String> token = plain(
                "OPTIONS",
                server + "/oauth2/token",
                Map.of("Origin", "https://app.example.org", "Access-Control-Request-Method", "POST"));
        assertThat(token.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.org");

        preflight.put("Origin", "https://evil.example.com");
        HttpResponse<String> refused = plain("OPTIONS", baseUrl() + "/Patient/1", preflight);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        // an actual request from there gets no CORS header either: the browser keeps the answer from the page
        HttpResponse<String> actual =
                plain("GET", baseUrl() + "/metadata", Map.of("Origin", "https://evil.example.com"));
        assertThat(actual.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> allowed = plain("GET", baseUrl() + "/metadata", Map.of("Origin", "http://localhost:5173"));
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://localhost:5173");
        assertThat(allowed.headers().firstValue("Access-Control-Expose-Headers").orElse(""))
                .contains("ETag")
                .contains("Location");
    }

    // ---- authorization code + PKCE (a browser app)

    @Test
    void aBrowserAppLogsInWithPkcePicksAPatientAndCallsTheApi() {
        OAuthBrowser browser = new OAuthBrowser(server);
        OAuthBrowser.Pkce pkce = OAuthBrowser.Pkce.create();
        HttpResponse<String> picker = browser.authorize(
                authorizeQuery("launch/patient openid fhirUser offline_access patient/*.rs", pkce), clinicianLogin());
        // the picker offers the clinician's consenting patients, and no other clinician's
        assertThat(OAuthBrowser.isPicker(picker)).as(picker.body()).isTrue();
        assertThat(OAuthBrowser.offered(picker)).contains(p1, p2).doesNotContain(p3);
        assertThat(picker.body()).contains("First").doesNotContain("Third");
        String code = codeFrom(browser.pick(picker, p1));
        JsonNode tokens = body(browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "authorization_code",
                        "code",
                        code,
                        "redirect_uri",
                        REDIRECT,
                        "client_id",
                        APP,
                        "code_verifier",
                        pkce.verifier())));
        assertThat(tokens.path("access_token").asText()).as(tokens.toString()).isNotEmpty();
        assertThat(tokens.path("patient").asText()).isEqualTo(p1);
        assertThat(tokens.path("scope").asText()).contains("patient/*.rs").contains("launch/patient");
        assertThat(tokens.path("id_token").asText()).isNotEmpty();
        // a public client gets no refresh token (Spring Authorization Server follows the OAuth security BCP)
        assertThat(tokens.has("refresh_token")).isFalse();
        String access = tokens.path("access_token").asText();

        HttpResponse<String> read = get(access, "/Patient/" + p1);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(get(access, "/Observation?patient=" + p1).statusCode()).isEqualTo(200);
        // the clinician may read p2 on chain; this app's token is for p1 only
        assertThat(get(access, "/Patient/" + p2).statusCode()).isEqualTo(404);
    }

    @Test
    void aPatientLogsInAndTheirOwnRecordIsTheContext() {
        OAuthBrowser browser = new OAuthBrowser(server);
        OAuthBrowser.Pkce pkce = OAuthBrowser.Pkce.create();
        String code = codeFrom(browser.authorize(
                authorizeQuery("launch/patient patient/*.rs", pkce),
                Map.of("role", "PATIENT", "fhirUser", "Patient/" + p1)));
        JsonNode tokens = body(browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "authorization_code",
                        "code",
                        code,
                        "redirect_uri",
                        REDIRECT,
                        "client_id",
                        APP,
                        "code_verifier",
                        pkce.verifier())));
        assertThat(tokens.path("patient").asText()).as(tokens.toString()).isEqualTo(p1);
        String access = tokens.path("access_token").asText();
        assertThat(get(access, "/Observation/" + o1).statusCode()).isEqualTo(200);
        assertThat(get(access, "/Observation/" + o2).statusCode()).isEqualTo(404);
    }

    @Test
    void aPickOfAPatientTheClinicianMayNotSeeOrATamperedPickIsRefusedAndEndsTheAttempt() {
        // another clinician's patient (there, not theirs), one not there, none, two, and a value not an id: all refused
        // alike, sent back to the app as access_denied with no code
        java.util.List<String[]> picks = java.util.List.of(
                new String[] {p3},
                new String[] {"no-such-patient"},
                new String[] {},
                new String[] {p1, p3},
                new String[] {p1 + "," + p3},
                new String[] {"../" + p1});
        for (String[] pick : picks) {
            OAuthBrowser browser = new OAuthBrowser(server);
            HttpResponse<String> picker = browser.authorize(
                    authorizeQuery("launch/patient patient/*.rs", OAuthBrowser.Pkce.create()), clinicianLogin());
            assertThat(OAuthBrowser.isPicker(picker)).isTrue();
            HttpResponse<String> answer = browser.pick(picker, pick);
            assertThat(answer.statusCode()).as(String.join(",", pick)).isEqualTo(302);
            String location = answer.headers().firstValue("Location").orElseThrow();
            assertThat(location).startsWith(REDIRECT);
            assertThat(OAuthBrowser.queryOf(location))
                    .as(String.join(",", pick))
                    .containsEntry("error", "access_denied")
                    .doesNotContainKey("code");
            // the attempt is over: the same state does not take a second pick
            HttpResponse<String> again = browser.pick(picker, p1);
            assertThat(again.headers().firstValue("Location").orElse("")).doesNotContain("code=");
        }
    }

    @Test
    void aConfidentialAppGetsRefreshTokensForTheSameUserAndPatient() {
        OAuthBrowser browser = new OAuthBrowser(server);
        OAuthBrowser.Pkce pkce = OAuthBrowser.Pkce.create();
        String code = codeFrom(browser.pick(
                browser.authorize(
                        authorizeQuery("launch/patient offline_access patient/*.rs", pkce)
                                .replace("client_id=" + APP, "client_id=" + CONFIDENTIAL),
                        clinicianLogin()),
                p1));
        JsonNode tokens = body(browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "authorization_code",
                        "code",
                        code,
                        "redirect_uri",
                        REDIRECT,
                        "client_id",
                        CONFIDENTIAL,
                        "client_secret",
                        "s3cret",
                        "code_verifier",
                        pkce.verifier())));
        assertThat(tokens.path("refresh_token").asText()).as(tokens.toString()).isNotEmpty();
        JsonNode refreshed = body(browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "refresh_token",
                        "refresh_token",
                        tokens.path("refresh_token").asText(),
                        "client_id",
                        CONFIDENTIAL,
                        "client_secret",
                        "s3cret")));
        String access = refreshed.path("access_token").asText();
        assertThat(access).as(refreshed.toString()).isNotEmpty();
        assertThat(refreshed.path("patient").asText()).isEqualTo(p1);
        assertThat(get(access, "/Patient/" + p1).statusCode()).isEqualTo(200);
        assertThat(get(access, "/Patient/" + p2).statusCode()).isEqualTo(404);
        // the first refresh token was rotated out
        HttpResponse<String> reused = browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "refresh_token",
                        "refresh_token",
                        tokens.path("refresh_token").asText(),
                        "client_id",
                        CONFIDENTIAL,
                        "client_secret",
                        "s3cret"));
        assertThat(reused.statusCode()).isEqualTo(400);
    }

    @Test
    void aWrongPkceVerifierGetsNoToken() {
        OAuthBrowser browser = new OAuthBrowser(server);
        OAuthBrowser.Pkce pkce = OAuthBrowser.Pkce.create();
        String code = codeFrom(browser.authorize(authorizeQuery("user/*.rs", pkce), clinicianLogin()));
        HttpResponse<String> r = browser.postForm(
                "/oauth2/token",
                Map.of(
                        "grant_type",
                        "authorization_code",
                        "code",
                        code,
                        "redirect_uri",
                        REDIRECT,
                        "client_id",
                        APP,
                        "code_verifier",
                        OAuthBrowser.Pkce.create().verifier()));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(body(r).path("error").asText()).isEqualTo("invalid_grant");
        assertThat(r.body()).doesNotContain("access_token");
    }

    @Test
    void anUnknownClientOrAScopeNotRegisteredIsRefusedAtTheAuthorisationEndpoint() {
        OAuthBrowser browser = new OAuthBrowser(server);
        OAuthBrowser.Pkce pkce = OAuthBrowser.Pkce.create();
        HttpResponse<String> unknown = browser.authorize(
                authorizeQuery("user/*.rs", pkce).replace("client_id=" + APP, "client_id=nobody"), clinicianLogin());
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.headers().firstValue("Location")).isEmpty();

        HttpResponse<String> scope = browser.authorize(authorizeQuery("system/*.cruds", pkce), clinicianLogin());
        assertThat(scope.statusCode()).isEqualTo(302);
        Map<String, String> answer =
                OAuthBrowser.queryOf(scope.headers().firstValue("Location").orElseThrow());
        assertThat(answer).containsEntry("error", "invalid_scope").doesNotContainKey("code");

        // without PKCE a public client gets no code
        HttpResponse<String> noPkce = browser.authorize(
                authorizeQuery("user/*.rs", pkce).replaceAll("&code_challenge[^&]*", ""), clinicianLogin());
        assertThat(noPkce.headers().firstValue("Location").orElse("")).doesNotContain("code=");
    }

    // ---- client credentials with private_key_jwt (SMART Backend Services)

    @Test
    void aBackendServiceAuthenticatesWithASignedAssertion() throws Exception {
        HttpResponse<String> r = plainForm(
                server + "/oauth2/token",
                Map.of(
                        "grant_type",
                        "client_credentials",
                        "scope",
                        "system/*.rs",
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion",
                        assertion(BACKEND_KEY, server + "/oauth2/token")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String access = body(r).path("access_token").asText();
        assertThat(get(access, "/Patient/" + p1).statusCode()).isEqualTo(200);

        HttpResponse<String> forged = plainForm(
                server + "/oauth2/token",
                Map.of(
                        "grant_type",
                        "client_credentials",
                        "scope",
                        "system/*.rs",
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion",
                        assertion(rsa(), server + "/oauth2/token")));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(body(forged).path("error").asText()).isEqualTo("invalid_client");
    }

    @Test
    void aTokenFromAnIssuerTheServerDoesNotTrustIsRefused() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate();
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .type(JOSEObjectType.JWT)
                        .keyID(other.getKeyID())
                        .build(),
                new JWTClaimsSet.Builder()
                        .issuer(DevIssuer.ISSUER)
                        .subject("dev:custodian")
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(300)))
                        .claim("ledger_address", "0x" + "1".repeat(40))
                        .claim("scope", "system/*.rs")
                        .build());
        jwt.sign(new ECDSASigner(other));
        assertThat(get(jwt.serialize(), "/Patient/" + p1).statusCode()).isEqualTo(401);
    }

    // ---- helpers

    String authorizeQuery(String scope, OAuthBrowser.Pkce pkce) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("response_type", "code");
        q.put("client_id", APP);
        q.put("redirect_uri", REDIRECT);
        q.put("scope", scope);
        q.put("state", UUID.randomUUID().toString());
        q.put("aud", baseUrl());
        q.put("code_challenge", pkce.challenge());
        q.put("code_challenge_method", "S256");
        return OAuthBrowser.form(q);
    }

    static Map<String, String> clinicianLogin() {
        return Map.of("role", "CLINICIAN", "fhirUser", "Practitioner/smart-dr");
    }

    static String codeFrom(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
        String location = r.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(REDIRECT);
        Map<String, String> q = OAuthBrowser.queryOf(location);
        assertThat(q).as(location).containsKey("code");
        return q.get("code");
    }

    static String assertion(RSAKey key, String audience) throws Exception {
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS384)
                        .type(JOSEObjectType.JWT)
                        .keyID(key.getKeyID())
                        .build(),
                new JWTClaimsSet.Builder()
                        .issuer(BACKEND)
                        .subject(BACKEND)
                        .audience(audience)
                        .jwtID(UUID.randomUUID().toString())
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(240)))
                        .build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static RSAKey rsa() {
        try {
            return new RSAKeyGenerator(2048).keyIDFromThumbprint(true).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> plain(String method, String url, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        return send(b);
    }

    static HttpResponse<String> plainForm(String url, Map<String, String> form) {
        return send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(OAuthBrowser.form(form))));
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static java.util.List<String> texts(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).path("id").asText();
    }
}
