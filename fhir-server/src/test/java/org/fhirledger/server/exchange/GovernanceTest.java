package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.outbox.LedgerWriter;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.FreePort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * The consortium's governance over HTTP ({@code $propose-admission}, {@code $approve-proposal},
 * {@code $propose-removal}, {@code $membership-request}) on a real chain, and a second full server started on this
 * server's contracts before it was admitted: it enrols itself once this server's admin admits it over HTTP.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GovernanceTest extends ServerTestBase {

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    Web3j web3j;
    String admin;

    @BeforeAll
    void connect() {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        SecondMember.of(dataDir(), web3j, directory, view); // two members at least: a proposal needs approvals
        admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
    }

    @AfterAll
    void close() {
        web3j.shutdown();
    }

    static String admission(String custodian, String organization, String baseUrl, String jwk) {
        return "{\"resourceType\":\"Parameters\",\"parameter\":["
                + "{\"name\":\"custodian\",\"valueString\":" + json(custodian) + "},"
                + "{\"name\":\"organization\",\"valueString\":" + json(organization) + "},"
                + "{\"name\":\"fhirBaseUrl\",\"valueUri\":" + json(baseUrl) + "},"
                + "{\"name\":\"authKey\",\"valueString\":" + json(jwk) + "}]}";
    }

    static String json(String s) {
        return s == null ? "null" : new com.fasterxml.jackson.databind.node.TextNode(s).toString();
    }

    static String one(String name, String type, String value) {
        return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"" + name + "\",\"value" + type + "\":"
                + value + "}]}";
    }

    static JsonNode param(JsonNode parameters, String name) {
        for (JsonNode p : parameters.path("parameter")) {
            if (name.equals(p.path("name").asText())) {
                for (String v : List.of("valueString", "valueUri", "valueBoolean", "valueInteger")) {
                    if (p.has(v)) return p.get(v);
                }
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    void assertOutcome(HttpResponse<String> r, int status, String issueCode) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(body(r).path("resourceType").asText()).as(r.body()).isEqualTo("OperationOutcome");
        assertThat(body(r).at("/issue/0/code").asText()).as(r.body()).isEqualTo(issueCode);
    }

    @Test
    void anAdminAdmitsAndRemovesAMemberByMajorityAndTheChainsRefusalsAreAnsweredAsWhatTheyMean() {
        HttpResponse<String> request = get(admin, "/$membership-request");
        assertThat(request.statusCode()).as(request.body()).isEqualTo(200);
        assertThat(param(body(request), "custodian").asText()).isEqualToIgnoringCase(ledger.account());
        assertThat(param(body(request), "member").asBoolean()).isTrue();
        assertThat(param(body(request), "authKey").asText())
                .contains("secp256k1")
                .doesNotContain("\"d\"");

        Credentials c = SecondMember.newAccount();
        HttpResponse<String> proposed = post(
                admin,
                "/$propose-admission",
                admission(c.getAddress(), "urn:oid:4.4", "https://c.example/fhir", InstitutionKey.publicJwk(c)));
        assertThat(proposed.statusCode()).as(proposed.body()).isEqualTo(200);
        JsonNode p = body(proposed);
        long id = param(p, "proposal").asLong();
        assertThat(param(p, "kind").asText()).isEqualTo("ADMIT");
        assertThat(param(p, "subject").asText()).isEqualToIgnoringCase(c.getAddress());
        assertThat(param(p, "executed").asBoolean())
                .as("this server alone is no majority")
                .isFalse();
        assertThat(param(p, "approvals").asInt()).isEqualTo(1);
        assertThat(param(p, "threshold").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(directory.isMember(c.getAddress())).isFalse();

        // approving twice: the chain's AlreadyApproved, a conflict; an unknown proposal: not found
        assertOutcome(
                post(admin, "/$approve-proposal", one("proposal", "Integer", Long.toString(id))), 409, "conflict");
        assertOutcome(post(admin, "/$approve-proposal", one("proposal", "Integer", "999999")), 404, "not-found");

        TestConsortium.approveUntil(dataDir(), web3j, id, () -> directory.isMember(c.getAddress()));
        TestConsortium.known(dataDir(), c);
        assertThat(get(admin, "/$institutions").body()).contains("https://c.example/fhir");
        // a member already
        assertOutcome(
                post(
                        admin,
                        "/$propose-admission",
                        admission(
                                c.getAddress(), "urn:oid:4.4", "https://c.example/fhir", InstitutionKey.publicJwk(c))),
                409,
                "conflict");
        // a carried proposal
        assertOutcome(
                post(admin, "/$approve-proposal", one("proposal", "Integer", Long.toString(id))), 409, "conflict");

        // removal: proposed here, approved by the others
        HttpResponse<String> removal =
                post(admin, "/$propose-removal", one("custodian", "String", json(c.getAddress())));
        assertThat(removal.statusCode()).as(removal.body()).isEqualTo(200);
        assertThat(param(body(removal), "kind").asText()).isEqualTo("REMOVE");
        TestConsortium.approveUntil(
                dataDir(), web3j, param(body(removal), "proposal").asLong(), () -> !directory.isMember(c.getAddress()));
        assertThat(get(admin, "/$institutions").body()).doesNotContain("https://c.example/fhir");
        // no longer a member
        assertOutcome(
                post(admin, "/$propose-removal", one("custodian", "String", json(c.getAddress()))), 404, "not-found");
    }

    @Test
    void badInputIsA400AndNothingIsSent() throws Exception {
        Credentials d = SecondMember.newAccount();
        String jwk = InstitutionKey.publicJwk(d);
        long before = directory.proposal(0).isPresent() ? proposals() : 0;
        for (String bad : List.of(
                admission("0x1234", "urn:oid:5.5", "https://d.example/fhir", jwk),
                admission("0x0000000000000000000000000000000000000000", "urn:oid:5.5", "https://d.example/fhir", jwk),
                admission(d.getAddress(), "urn oid with spaces", "https://d.example/fhir", jwk),
                admission(d.getAddress(), "urn:oid:5.5", "ftp://d.example/fhir", jwk),
                admission(d.getAddress(), "urn:oid:5.5", "https://d.example/fhir", "not a jwk"),
                // a private key would be published on chain
                admission(
                        d.getAddress(),
                        "urn:oid:5.5",
                        "https://d.example/fhir",
                        InstitutionKey.signingKey(d).toJSONString()),
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"custodian\",\"valueString\":\""
                        + d.getAddress() + "\"}]}")) {
            HttpResponse<String> r = post(admin, "/$propose-admission", bad);
            assertThat(r.statusCode()).as(bad + " -> " + r.body()).isEqualTo(400);
            assertThat(body(r).path("resourceType").asText()).isEqualTo("OperationOutcome");
        }
        assertThat(post(admin, "/$approve-proposal", one("proposal", "Integer", "-1"))
                        .statusCode())
                .isEqualTo(400);
        assertThat(post(admin, "/$propose-removal", one("custodian", "String", "\"nobody\""))
                        .statusCode())
                .isEqualTo(400);
        // an account that is no member: not found
        assertOutcome(
                post(admin, "/$propose-removal", one("custodian", "String", json(d.getAddress()))), 404, "not-found");
        assertThat(proposals()).as("no proposal made").isEqualTo(before);
        assertThat(directory.isMember(d.getAddress())).isFalse();
    }

    /** How many proposals the directory holds (proposal ids count up from 0). */
    long proposals() {
        long n = 0;
        while (directory.proposal(n).isPresent()) n++;
        return n;
    }

    @Test
    void otherRolesAre403AndEveryCallIsAudited() throws Exception {
        DevTokens.Minted clinician = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/governance-dr");
        String auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);
        String patient = DevTokens.mint(dataDir(), Role.PATIENT, null);
        Credentials e = SecondMember.newAccount();
        long before = proposals();
        Instant start = Instant.now().minusSeconds(1);
        for (String token : List.of(clinician.token(), auditor, patient)) {
            assertOutcome(
                    post(
                            token,
                            "/$propose-admission",
                            admission(
                                    e.getAddress(),
                                    "urn:oid:6.6",
                                    "https://e.example/fhir",
                                    InstitutionKey.publicJwk(e))),
                    403,
                    "forbidden");
            assertOutcome(post(token, "/$approve-proposal", one("proposal", "Integer", "0")), 403, "forbidden");
            assertOutcome(
                    post(token, "/$propose-removal", one("custodian", "String", json(ledger.account()))),
                    403,
                    "forbidden");
        }
        assertThat(get("not-a-token", "/$membership-request").statusCode()).isEqualTo(401);
        assertThat(proposals()).as("nothing proposed").isEqualTo(before);
        assertThat(directory.isMember(e.getAddress())).isFalse();

        // the refusals are audited with the caller, as is the admin's change
        post(admin, "/$approve-proposal", one("proposal", "Integer", "999998"));
        JsonNode refused = RetrievalTest.event(
                () -> get(auditor, "/AuditEvent?subtype=operation&_sort=-date&_count=200"),
                ev -> RetrievalTest.requestor(ev).equalsIgnoreCase(clinician.ledgerAddress())
                        && "4".equals(ev.path("outcome").asText())
                        && java.time.OffsetDateTime.parse(ev.path("recorded").asText())
                                .toInstant()
                                .isAfter(start));
        assertThat(refused.toString()).contains("operation");
    }

    @Test
    void aServerStartedBeforeItsAdmissionEnrolsItselfOnceAnAdminAdmitsItOverHttp() throws Exception {
        int port = FreePort.pick();
        String base = "http://localhost:" + port + "/fhir";
        Path dir = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "joining-");
        Files.copy(
                dataDir().resolve("chain/contracts.json"),
                Files.createDirectories(dir.resolve("chain")).resolve("contracts.json"));
        // what the ledger writer and the adapter's pre-flight say while B waits for its admission
        List<ILoggingEvent> said = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                said.add(e);
            }
        };
        capture.start();
        List<Logger> watched = List.of((Logger) LoggerFactory.getLogger(LedgerWriter.class), (Logger)
                LoggerFactory.getLogger("org.fhirledger.ledger.web3j.Preflight"));
        try (PipelineServer b = PipelineServer.start(
                dir,
                SharedChain.anvil().rpcUrl(),
                SharedChain.anvil().chainId(),
                "--server.port=" + port,
                "--exchange.fhir-base-url=" + base,
                "--exchange.organization=urn:oid:7.7",
                "--exchange.cache-ttl=0s",
                "--exchange.consortium-key-file=" + dataDir().resolve("keys/consortium-key.hex"))) {
            // attached once B runs: starting a Spring application resets logback (and so drops every appender) when
            // another context of this JVM closed before, as happens or not depending on the classes run before
            watched.forEach(l -> l.addAppender(capture));
            SelfEnrolment enrolment = b.ctx.getBean(SelfEnrolment.class);
            Ledger bLedger = b.ctx.getBean(Ledger.class);
            assertThat(enrolment.enrolled()).isFalse();
            assertThat(bLedger.rolesOf(bLedger.account())).isEmpty();

            // B's admin reads what A's admin must enter (no role on chain can exist at B before its admission)
            String bAdmin = DevTokens.mint(dir, Role.ADMIN, null);
            HttpResponse<String> r =
                    HttpProbe.request("GET", base + "/$membership-request", HttpProbe.bearer(bAdmin), null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode request = body(r);
            assertThat(param(request, "custodian").asText()).isEqualToIgnoringCase(bLedger.account());
            assertThat(param(request, "organization").asText()).isEqualTo("urn:oid:7.7");
            assertThat(param(request, "fhirBaseUrl").asText()).isEqualTo(base);
            assertThat(param(request, "member").asBoolean()).isFalse();
            // nothing else is open to B's admin yet
            assertThat(HttpProbe.request("GET", base + "/$institutions", HttpProbe.bearer(bAdmin), null)
                            .statusCode())
                    .isEqualTo(403);
            // that call's AuditEvent waits in B's outbox: the chain refuses it (NotCustodian), said once as a WARN
            PipelineServer.await(
                    () -> waiting(said) > 0, Duration.ofSeconds(30), "B's writer did not say what it waits for");

            // A's admin proposes it with those values; the other members approve
            HttpResponse<String> proposed = post(
                    admin,
                    "/$propose-admission",
                    admission(
                            param(request, "custodian").asText(),
                            param(request, "organization").asText(),
                            param(request, "fhirBaseUrl").asText(),
                            param(request, "authKey").asText()));
            assertThat(proposed.statusCode()).as(proposed.body()).isEqualTo(200);
            TestConsortium.approveUntil(
                    dataDir(),
                    web3j,
                    param(body(proposed), "proposal").asLong(),
                    () -> directory.isMember(bLedger.account()));
            try {
                PipelineServer.await(enrolment::enrolled, Duration.ofSeconds(30), "B did not enrol itself");
                // the waiting entries go out; the wait was one WARN line, never an ERROR per retry
                PipelineServer.await(
                        () -> said.stream()
                                .anyMatch(e -> e.getFormattedMessage().contains("is CUSTODIAN now")),
                        Duration.ofSeconds(30),
                        "B's waiting entries did not go out once it was enrolled");
                assertThat(waiting(said)).isEqualTo(1);
                assertThat(said.stream()
                                .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                                .map(ILoggingEvent::getFormattedMessage))
                        .isEmpty();
                assertThat(ledger.rolesOf(bLedger.account())).contains(Role.CUSTODIAN);
                String bDevAdmin = DevTokens.mintFor(dir, Role.ADMIN, null).ledgerAddress();
                assertThat(ledger.rolesOf(bDevAdmin)).containsExactly(Role.ADMIN);
                assertThat(ledger.institutionOf(bDevAdmin))
                        .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(bLedger.account()));
                assertThat(ledger.institutionOf(bLedger.account()))
                        .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(bLedger.account()));
                // its dev ADMIN, then its dev users, hold their roles under B, with accounts of B's own
                DevTokens.Minted bClinician = DevTokens.mintFor(dir, Role.CLINICIAN, "Practitioner/same-name");
                DevTokens.Minted aClinician = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/same-name");
                assertThat(bClinician.ledgerAddress()).isNotEqualToIgnoringCase(aClinician.ledgerAddress());
                assertThat(DevTokens.mintFor(dir, Role.ADMIN, null).ledgerAddress())
                        .isNotEqualToIgnoringCase(
                                DevTokens.mintFor(dataDir(), Role.ADMIN, null).ledgerAddress());
                assertThat(ledger.rolesOf(bClinician.ledgerAddress())).containsExactly(Role.CLINICIAN);
                assertThat(ledger.institutionOf(bClinician.ledgerAddress()))
                        .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(bLedger.account()));
                assertThat(ledger.institutionOf(aClinician.ledgerAddress()))
                        .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(ledger.account()));
                // B's admin holds ADMIN now: B forgets the empty answer it cached once the role's event arrives
                PipelineServer.await(
                        () -> HttpProbe.request("GET", base + "/$institutions", HttpProbe.bearer(bAdmin), null)
                                        .statusCode()
                                == 200,
                        Duration.ofSeconds(30),
                        "B's admin was not let in");
                HttpResponse<String> members =
                        HttpProbe.request("GET", base + "/$institutions", HttpProbe.bearer(bAdmin), null);
                assertThat(members.body()).contains(base).containsIgnoringCase(ledger.account());
            } finally {
                // B's own approval counts like any member's when a later removal needs it
                TestConsortium.known(
                        dataDir(),
                        Credentials.create(Files.readString(dir.resolve("chain/server-key.hex"))
                                .trim()));
                TestConsortium.remove(dataDir(), web3j, directory, bLedger.account());
                view.invalidate();
            }
        } finally {
            watched.forEach(l -> l.detachAppender(capture));
        }
    }

    private static long waiting(List<ILoggingEvent> said) {
        return said.stream()
                .filter(e ->
                        e.getLevel() == Level.WARN && e.getFormattedMessage().contains("holds no CUSTODIAN"))
                .count();
    }
}
