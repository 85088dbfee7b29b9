package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import java.util.UUID;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Another institution (member B, its own secp256k1 key registered in the directory on the real chain) obtains a token
 * here with a client assertion signed by that key, for one of its clinicians, and reads what the patient's consent
 * allows that clinician, audited with the clinician and B as agents; what it may not, it cannot.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemberAccessTest extends ServerTestBase {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    @Autowired
    Pseudonyms pseudonyms;

    @Autowired
    MemberAssertions ownAssertions;

    Web3j web3j;
    Credentials b;
    MemberAssertions asB;
    String organizationB = "urn:oid:2.16.840.1.113883.3.1234";
    /** B's clinician, who holds the patient's consent; and another who does not. */
    String consented;

    String unconsented;
    String patient;
    String audience;

    @BeforeAll
    void admitB() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        b = TestConsortium.admitNew(dataDir(), web3j, directory, view, organizationB, "https://b.example/fhir");
        asB = new MemberAssertions(b, Clock.systemUTC());
        consented = enrolAtB(Role.CLINICIAN);
        unconsented = enrolAtB(Role.CLINICIAN);

        patient = id(
                post(bearerToken(), "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Member\"}]}"));
        post(
                bearerToken(),
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"probe\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patient + "\"}}");
        // the patient's consent for B's clinician, granted on chain by this server as the patient's home custodian
        ledger.grantConsent(
                pseudonyms.of("Patient", patient),
                consented,
                ConsentAction.READ.bit(),
                ResourceTypes.ALL,
                Instant.now().plus(Duration.ofHours(1)));
        audience = MemberAssertions.tokenEndpoint(
                view.member(ledger.account()).orElseThrow().fhirBaseUrl());
    }

    @AfterAll
    void removeB() {
        try {
            TestConsortium.remove(dataDir(), web3j, directory, b.getAddress());
            view.invalidate();
        } finally {
            web3j.shutdown();
        }
    }

    /** B's custodian account enrols one of its staff under B, as B's server would. */
    String enrolAtB(Role role) {
        return TestConsortium.enrol(dataDir(), web3j, b, role);
    }

    @Test
    @Order(1)
    void bsClinicianWithConsentReadsThePatientAuditedWithBothAgents() throws Exception {
        HttpResponse<String> issued = token(asB.sign(audience, consented, Duration.ofMinutes(2)));
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
        JsonNode answer = body(issued);
        assertThat(answer.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(answer.path("scope").asText()).isEqualTo("user/*.rs");
        assertThat(answer.path("expires_in").asLong()).isBetween(1L, 900L);
        assertThat(issued.headers().firstValue("Cache-Control")).hasValue("no-store");
        String accessToken = answer.path("access_token").asText();

        HttpResponse<String> read = get(accessToken, "/Patient/" + patient);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        HttpResponse<String> search = get(accessToken, "/Observation?patient=Patient/" + patient);
        assertThat(search.statusCode()).as(search.body()).isEqualTo(200);
        assertThat(body(search).path("entry").size()).isEqualTo(1);

        // the patient's own timeline names the clinician and the institution they acted through
        String patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patient);
        JsonNode event = eventByRequestor(patientToken, consented, "read");
        assertThat(event).as("the patient sees B's clinician's read").isNotNull();
        assertThat(event.path("outcome").asText()).isEqualTo("0");
        JsonNode member = null;
        for (JsonNode agent : event.path("agent")) {
            if (!agent.path("requestor").asBoolean()) member = agent;
        }
        assertThat(member).as(event.toString()).isNotNull();
        assertThat(member.at("/who/identifier/system").asText()).isEqualTo(AuditShape.LEDGER_ADDRESS_SYSTEM);
        assertThat(member.at("/who/identifier/value").asText()).isEqualToIgnoringCase(b.getAddress());
        assertThat(member.at("/who/display").asText()).isEqualTo(organizationB);
        assertThat(member.at("/role/0/coding/0/code").asText()).isEqualTo(AuditShape.MEMBER_ROLE);
        // the clinician is a clinician here, nothing more, whatever the token asked
        assertThat(event.toString()).contains("\"code\":\"CLINICIAN\"");
    }

    @Test
    @Order(2)
    void aMembersTokenNeverWidens() {
        String accessToken = accessToken(asB.sign(audience, consented, Duration.ofMinutes(2)));
        // read-only: no write, even where the consent would allow it
        HttpResponse<String> write = post(
                accessToken,
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patient + "\"}}");
        assertThat(write.statusCode()).as(write.body()).isEqualTo(403);
        // no emergency access without consent for another institution's clinician
        String other = id(post(bearerToken(), "/Patient", "{\"resourceType\":\"Patient\"}"));
        HttpResponse<String> glass = post(
                accessToken,
                "/Patient/" + other + "/$break-glass",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"emergency\"}]}");
        assertThat(glass.statusCode()).as(glass.body()).isEqualTo(403);
        assertThat(get(accessToken, "/Patient/" + other).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void bsClinicianWithoutConsentFindsNothingAndIsAudited() throws Exception {
        String accessToken = accessToken(asB.sign(audience, unconsented, Duration.ofMinutes(2)));
        HttpResponse<String> read = get(accessToken, "/Patient/" + patient);
        assertThat(read.statusCode()).as("looks like not there").isEqualTo(404);
        HttpResponse<String> missing = get(accessToken, "/Patient/no-such-patient");
        assertThat(missing.statusCode()).isEqualTo(404);
        JsonNode refused = eventByRequestor(bearerToken(), unconsented, "read");
        assertThat(refused).isNotNull();
        assertThat(refused.path("outcome").asText()).isEqualTo("4");
        JsonNode member = null;
        for (JsonNode agent : refused.path("agent")) {
            if (!agent.path("requestor").asBoolean()) member = agent;
        }
        assertThat(member).as("the refusal names B as the member acted through").isNotNull();
        assertThat(member.at("/who/identifier/value").asText()).isEqualToIgnoringCase(b.getAddress());
    }

    @Test
    @Order(4)
    void assertionsThatDoNotProveBAreRefused() throws Exception {
        Instant now = Instant.now();
        // signed by a key that is not B's, claiming to be B
        MemberAssertions impostor = new MemberAssertions(ConsortiumTest.newAccount(), Clock.systemUTC());
        assertRefused(token(impostor.sign(claims(now, Duration.ofMinutes(2), audience, consented))), 401, "signature");
        // signed by another member's key (this server is a member too), claiming to be B
        assertRefused(
                token(ownAssertions.sign(claims(now, Duration.ofMinutes(2), audience, consented))), 401, "signature");
        // expired
        assertRefused(
                token(asB.sign(new JWTClaimsSet.Builder(claims(now, Duration.ofMinutes(2), audience, consented))
                        .issueTime(Date.from(now.minus(Duration.ofMinutes(5))))
                        .expirationTime(Date.from(now.minus(Duration.ofMinutes(2))))
                        .build())),
                401,
                "expired");
        // valid for longer than a client assertion may be
        assertRefused(token(asB.sign(audience, consented, Duration.ofHours(1))), 401, "too long");
        // for another server
        assertRefused(
                token(asB.sign("https://elsewhere.example/fhir/$member-token", consented, Duration.ofMinutes(2))),
                401,
                "aud");
        // without exp, without jti
        assertRefused(
                token(asB.sign(new JWTClaimsSet.Builder(claims(now, Duration.ofMinutes(2), audience, consented))
                        .expirationTime(null)
                        .build())),
                401,
                "exp");
        assertRefused(
                token(asB.sign(new JWTClaimsSet.Builder(claims(now, Duration.ofMinutes(2), audience, consented))
                        .jwtID(null)
                        .build())),
                401,
                "jti");
        // replayed
        String once = asB.sign(audience, consented, Duration.ofMinutes(2));
        assertThat(token(once).statusCode()).isEqualTo(200);
        assertRefused(token(once), 401, "used before");
        // signed as this server itself
        assertRefused(token(ownAssertions.sign(audience, consented, Duration.ofMinutes(2))), 401, "itself");
        // a non-member with its own key
        Credentials stranger = ConsortiumTest.newAccount();
        assertRefused(
                token(new MemberAssertions(stranger, Clock.systemUTC())
                        .sign(audience, consented, Duration.ofMinutes(2))),
                401,
                "no active member");
        // the assertion itself is no bearer token here
        HttpResponse<String> asBearer =
                get(asB.sign(audience, consented, Duration.ofMinutes(2)), "/Patient/" + patient);
        assertThat(asBearer.statusCode()).isEqualTo(401);
    }

    @Test
    @Order(5)
    void bActsOnlyForItsOwnClinicians() throws Exception {
        // no clinician named: B itself gets no access to patient data
        assertRefused(
                token(asB.sign(new JWTClaimsSet.Builder(claims(Instant.now(), Duration.ofMinutes(2), audience, null))
                        .build())),
                403,
                "names no clinician");
        // B's own custodian account: B acts for its clinicians, never as itself
        assertRefused(
                token(asB.sign(audience, b.getAddress(), Duration.ofMinutes(2))), 403, "no clinician of that member");
        // a clinician of this institution
        String ours = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/member-access-ours")
                .ledgerAddress();
        assertRefused(token(asB.sign(audience, ours, Duration.ofMinutes(2))), 403, "no clinician of that member");
        // B's staff who are no clinicians
        String auditorAtB = enrolAtB(Role.AUDITOR);
        assertRefused(token(asB.sign(audience, auditorAtB, Duration.ofMinutes(2))), 403, "no clinician of that member");
    }

    @Test
    @Order(6)
    void malformedRequestsAreClearRefusals() throws Exception {
        for (String garbage : new String[] {"not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x".repeat(5000)}) {
            assertRefused(token(garbage), 400, "not a signed JWT");
        }
        HttpResponse<String> wrongGrant = form("grant_type=password&client_assertion_type="
                + enc(MemberTokenServlet.JWT_BEARER) + "&client_assertion=x");
        assertRefused(wrongGrant, 400, "grant_type");
        assertRefused(form("grant_type=client_credentials"), 400, "client_assertion_type");
        HttpResponse<String> json = HTTP.send(
                HttpRequest.newBuilder(URI.create(baseUrl() + "/$member-token"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertRefused(json, 400, "x-www-form-urlencoded");
        HttpResponse<String> getIt = HTTP.send(
                HttpRequest.newBuilder(URI.create(baseUrl() + "/$member-token"))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(getIt.statusCode()).isEqualTo(405);
        // a signed assertion with an unusable clinician claim
        assertRefused(
                token(asB.sign(new JWTClaimsSet.Builder(claims(Instant.now(), Duration.ofMinutes(2), audience, null))
                        .claim(MemberAssertions.ON_BEHALF_OF, 42)
                        .build())),
                400,
                "ledger address");
    }

    /** Last: it removes B. */
    @Test
    @Order(7)
    void onceBIsRemovedItsAssertionsAndTokensAreRefused() throws Exception {
        String accessToken = accessToken(asB.sign(audience, consented, Duration.ofMinutes(2)));
        assertThat(get(accessToken, "/Patient/" + patient).statusCode()).isEqualTo(200);
        // used again: its verified signature is cached now, and the removal below must still count
        assertThat(get(accessToken, "/Patient/" + patient).statusCode()).isEqualTo(200);
        TestConsortium.remove(dataDir(), web3j, directory, b.getAddress());
        view.invalidate();
        assertRefused(token(asB.sign(audience, consented, Duration.ofMinutes(2))), 401, "no active member");
        HttpResponse<String> stale = get(accessToken, "/Patient/" + patient);
        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(401);
        assertThat(body(stale).path("resourceType").asText()).isEqualTo("OperationOutcome");
    }

    // ---- helpers

    JWTClaimsSet claims(Instant now, Duration lifetime, String aud, String clinician) {
        JWTClaimsSet.Builder c = new JWTClaimsSet.Builder()
                .issuer(b.getAddress().toLowerCase(Locale.ROOT))
                .subject(b.getAddress().toLowerCase(Locale.ROOT))
                .audience(aud)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(UUID.randomUUID().toString());
        if (clinician != null) c.claim(MemberAssertions.ON_BEHALF_OF, clinician);
        return c.build();
    }

    String accessToken(String assertion) {
        HttpResponse<String> r = token(assertion);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return body(r).path("access_token").asText();
    }

    HttpResponse<String> token(String assertion) {
        return form("grant_type=client_credentials&client_assertion_type=" + enc(MemberTokenServlet.JWT_BEARER)
                + "&client_assertion=" + enc(assertion));
    }

    HttpResponse<String> form(String body) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(baseUrl() + "/$member-token"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static void assertRefused(HttpResponse<String> r, int status, String reason) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode outcome = body(r);
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcome.at("/issue/0/diagnostics").asText()).containsIgnoringCase(reason);
    }

    static String id(HttpResponse<String> created) {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return body(created).path("id").asText();
    }

    /** The newest AuditEvent about the patient whose requestor is that account, for that interaction. */
    JsonNode eventByRequestor(String token, String account, String interaction) throws InterruptedException {
        Instant until = Instant.now().plus(Duration.ofSeconds(10)); // written before the answer, or soon after
        while (true) {
            HttpResponse<String> r = get(token, "/AuditEvent?patient=Patient/" + patient + "&_sort=-date&_count=50");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            for (JsonNode entry : body(r).path("entry")) {
                JsonNode event = entry.path("resource");
                if (!interaction.equals(event.at("/subtype/0/code").asText())) continue;
                for (JsonNode agent : event.path("agent")) {
                    if (agent.path("requestor").asBoolean()
                            && account.equalsIgnoreCase(
                                    agent.at("/who/identifier/value").asText())) {
                        return event;
                    }
                }
            }
            if (Instant.now().isAfter(until)) return null;
            Thread.sleep(100);
        }
    }
}
