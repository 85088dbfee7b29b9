package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.MovableClock;
import org.fhirledger.server.testing.SharedChain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * This server as a consortium member on a real chain: it founded the directory in dev mode, and other institutions
 * (their own accounts, acting on the chain as their servers would) are admitted by the directory's governance.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsortiumTest extends ServerTestBase {

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    @Autowired
    JdbcTemplate roleChanges;

    Web3j web3j;

    /** A second institution's custodian account, admitted through the directory's governance. */
    Credentials b;

    @BeforeAll
    void connect() {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        b = SecondMember.of(dataDir(), web3j, directory, view);
    }

    @AfterAll
    void close() {
        web3j.shutdown();
    }

    static Credentials newAccount() {
        return SecondMember.newAccount();
    }

    @Test
    void theDevServerFoundedTheDirectoryAndSeesMembersAdmittedByGovernance() throws Exception {
        String self = ledger.account().toLowerCase(Locale.ROOT);
        assertThat(Files.readString(dataDir().resolve("chain/contracts.json"))).contains("institutionDirectory");
        assertThat(directory.isMember(self)).isTrue();
        String clinician = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/consortium-dr");
        JsonNode two = members(clinician);
        // other test classes sharing this context may have admitted members of their own
        assertThat(two.size()).as(two.toString()).isGreaterThanOrEqualTo(2);
        JsonNode founder = null;
        for (JsonNode member : two) {
            if (member.toString().contains("\"valueBoolean\":true")) founder = member;
        }
        assertThat(founder).as(two.toString()).isNotNull();
        assertThat(part(founder, "custodian")).isEqualToIgnoringCase(self);
        assertThat(part(founder, "organization")).isEqualTo("urn:fhir-ledger:dev:" + self);
        assertThat(part(founder, "keyThumbprint")).matches("[A-Za-z0-9_-]{43}");
        // the published key is the custodian account's own public key
        assertThat(directory.member(self).orElseThrow().authKeyJwk())
                .contains("\"crv\":\"secp256k1\"")
                .doesNotContain("\"d\"");
        // the consortium pseudonym key, created in dev mode beside the local one, owner-only
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dataDir().resolve("keys/consortium-key.hex"))))
                .isEqualTo("rw-------");
        // the second member
        assertThat(two.toString()).contains("https://b.example/fhir").contains("not-a-jwk");

        // two members or more: B's proposal alone does not admit C, a majority's approvals do
        Credentials c = newAccount();
        var proposed = TestConsortium.directoryAs(dataDir(), web3j, b)
                .proposeAdmission(
                        c.getAddress(),
                        "urn:oid:3.3",
                        "https://c.example/fhir",
                        "{\"kty\":\"EC\"}".getBytes(StandardCharsets.UTF_8))
                .send();
        long id = org.fhirledger.contracts.generated.InstitutionDirectory.getProposedEvents(proposed)
                .get(0)
                .id
                .longValueExact();
        view.invalidate();
        assertThat(members(clinician).toString()).doesNotContain("https://c.example/fhir");
        assertThat(directory.isMember(c.getAddress())).isFalse();
        TestConsortium.approve(dataDir(), web3j, directory, id, () -> directory.isMember(c.getAddress()));
        view.invalidate();
        assertThat(members(clinician).toString()).contains("https://c.example/fhir");
        TestConsortium.known(dataDir(), c);
    }

    @Test
    void theDirectoryIsReadAgainOnceItsCopyIsOlderThanItsTimeToLive() {
        MovableClock clock = new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
        ConsortiumView copy = new ConsortiumView(directory, ledger.account(), Duration.ofSeconds(10), clock);
        Institution self = copy.member(ledger.account()).orElseThrow();
        directory.updateSelf("https://moved.example/fhir", self.authKeyJwk()); // the member edits its own entry
        try {
            clock.advance(Duration.ofSeconds(9));
            assertThat(copy.member(ledger.account()).orElseThrow().fhirBaseUrl())
                    .isEqualTo(self.fhirBaseUrl());
            clock.advance(Duration.ofSeconds(1));
            assertThat(copy.member(ledger.account().toUpperCase(Locale.ROOT).replace("0X", "0x"))
                            .orElseThrow()
                            .fhirBaseUrl())
                    .isEqualTo("https://moved.example/fhir");
        } finally {
            directory.updateSelf(self.fhirBaseUrl(), self.authKeyJwk());
        }
    }

    @Test
    void anAdminHereCannotChangeTheRolesOfAnotherInstitutionsStaff() throws Exception {
        String staffB = newAccount().getAddress();
        byte[] identity = new byte[32];
        identity[0] = 7;
        assertThat(TestConsortium.registryAs(dataDir(), web3j, b)
                        .assignRole(staffB, BigInteger.valueOf(Role.CLINICIAN.code()), identity)
                        .send()
                        .isStatusOK())
                .isTrue();
        assertThat(ledger.institutionOf(staffB))
                .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(b.getAddress()));
        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        // the server's account writes audit entries meanwhile: the role changes it made are in fl_role_change
        long changes = roleChanges.queryForObject("select count(*) from fl_role_change", Long.class);
        for (String op : List.of("$assign-role", "$revoke-role")) {
            HttpResponse<String> r = post(
                    admin,
                    "/" + op,
                    "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\""
                            + staffB + "\"},{\"name\":\"role\",\"valueString\":\""
                            + (op.equals("$assign-role") ? "AUDITOR" : "CLINICIAN") + "\"}"
                            + (op.equals("$assign-role")
                                    ? ",{\"name\":\"fhirUser\",\"valueString\":\"Practitioner/b-1\"}"
                                    : "")
                            + "]}");
            assertThat(r.statusCode()).as(op + ": " + r.body()).isEqualTo(403);
            assertThat(body(r).at("/resourceType").asText()).isEqualTo("OperationOutcome");
            assertThat(body(r).at("/issue/0/code").asText()).isEqualTo("forbidden");
        }
        assertThat(ledger.rolesOf(staffB)).containsExactly(Role.CLINICIAN);
        assertThat(roleChanges.queryForObject("select count(*) from fl_role_change", Long.class))
                .as("no role change made")
                .isEqualTo(changes);

        // an account of no institution joins this one
        String staffA = newAccount().getAddress();
        HttpResponse<String> ok = post(
                admin,
                "/$assign-role",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\""
                        + staffA + "\"},{\"name\":\"role\",\"valueString\":\"CLINICIAN\"},"
                        + "{\"name\":\"fhirUser\",\"valueString\":\"Practitioner/a-1\"}]}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ledger.institutionOf(staffA))
                .hasValueSatisfying(i -> assertThat(i).isEqualToIgnoringCase(ledger.account()));
    }

    @Test
    void aCallerWithoutRoleIsRefused() {
        HttpResponse<String> r = get("not-a-token", "/$institutions");
        assertThat(r.statusCode()).isEqualTo(401);
    }

    JsonNode members(String token) {
        HttpResponse<String> r = get(token, "/$institutions");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        body(r).path("parameter").forEach(p -> {
            if ("member".equals(p.path("name").asText())) out.add(p);
        });
        return new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
    }

    static String part(JsonNode member, String name) {
        for (JsonNode p : member.path("part")) {
            if (name.equals(p.path("name").asText())) {
                for (String v : List.of("valueString", "valueUri", "valueBoolean")) {
                    if (p.has(v)) return p.get(v).asText();
                }
            }
        }
        return null;
    }
}
