package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The chain as the source of truth: a consent granted on chain without the server's help takes effect once its
 * event arrives (no waiting for the cache to expire), and with the chain stopped nothing is decided from a stale
 * cache (503, audited), unless fail-closed is switched off. An outage is known within the probe interval: health
 * says so, and callers get their 503 at once (short settings here, so that every wait is a few seconds).
 *
 * <p>Tests with the same settings share a server, two by two: the first leaves the chain running (or starts it
 * again), the second stops it and closes the server. Each uses its own patients and callers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChainOutageAndEventsTest {

    private static final String[] LONG_CACHE = {"--authorization.cache-ttl=1h"};
    private static final String[] NO_CACHE = {"--authorization.cache-ttl=0s", "--authorization.retry-after=3s"};

    /** A server two tests share, on a data directory of its own. */
    private record Shared(Path data, ConfigurableApplicationContext ctx) {}

    private static final Map<List<String>, Shared> SHARED = new HashMap<>();

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    @BeforeEach
    void chainUp() {
        if (!anvil.isRunning()) anvil.start(); // a test before stopped it: a fresh chain, and a fresh data dir
    }

    @TempDir
    Path data;

    private ConfigurableApplicationContext start(String... extra) {
        return start(data, extra);
    }

    /** The server with these settings the tests share, started by the first of them. */
    private static Shared shared(String... extra) throws Exception {
        Shared s = SHARED.get(List.of(extra));
        if (s == null) {
            Path dir = Files.createTempDirectory(
                    Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "outage-");
            s = new Shared(dir, start(dir, extra));
            SHARED.put(List.of(extra), s);
        }
        return s;
    }

    /** The second test of the two is done with the shared server (it stopped the chain). */
    private static void release(String... extra) {
        Shared s = SHARED.remove(List.of(extra));
        if (s != null) s.ctx().close();
    }

    @AfterAll
    static void closeShared() {
        SHARED.values().forEach(s -> s.ctx().close());
        SHARED.clear();
    }

    private static ConfigurableApplicationContext start(Path data, String... extra) {
        String[] base = {
            "--data-dir=" + data,
            "--server.port=0",
            "--ledger.enabled=true",
            "--ledger.rpc-url=" + anvil.rpcUrl(),
            "--ledger.chain-id=" + anvil.chainId(),
            "--ledger.receipt-timeout=5s",
            "--ledger.probe-interval=500ms",
            "--ledger.unavailable-timeout=1s",
            "--ledger.rpc-timeout=2s",
            "--ledger.close-timeout=1s",
            "--spring.lifecycle.timeout-per-shutdown-phase=2s",
            "--management.endpoint.health.show-details=always"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return new SpringApplicationBuilder(Application.class).run(args);
    }

    @Test
    @Order(1)
    void aConsentGivenOnChainDirectlyTakesEffectWhenItsEventArrivesNotWhenTheCacheExpires() throws Exception {
        Shared server = shared(LONG_CACHE); // the chain stays up: aClinicianCannotRegister... uses it next
        Path data = server.data();
        try {
            ConfigurableApplicationContext ctx = server.ctx();
            String base = baseUrl(ctx);
            String custodian = DevTokens.mint(data, Role.CUSTODIAN, null);
            String patientId = created(send(base, "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}"));
            DevTokens.Minted dr = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/dr-x");
            assertThat(send(base, "GET", dr.token(), "/Patient/" + patientId, null)
                            .statusCode())
                    .isEqualTo(404);

            // granted on chain by the custodian account, not through the FHIR API: the server learns it from the event
            ctx.getBean(Ledger.class)
                    .grantConsent(
                            ctx.getBean(Pseudonyms.class).of("Patient/" + patientId),
                            dr.ledgerAddress(),
                            ConsentAction.READ.bit(),
                            ResourceTypes.ALL,
                            Instant.now().plusSeconds(600));
            assertThat(awaitStatus(base, dr.token(), "/Patient/" + patientId, 200))
                    .as("effective long before the 1 h cache expiry")
                    .isEqualTo(200);

            ctx.getBean(Ledger.class)
                    .revokeConsent(ctx.getBean(Pseudonyms.class).of("Patient/" + patientId), dr.ledgerAddress());
            assertThat(awaitStatus(base, dr.token(), "/Patient/" + patientId, 404))
                    .as("revocation effective too")
                    .isEqualTo(404);
        } catch (Throwable t) {
            release(LONG_CACHE); // the other test starts its own
            throw t;
        }
    }

    @Test
    @Order(4)
    void withTheChainStoppedAndTheCacheStaleNothingIsDecidedAndTheRefusalIsAudited() throws Exception {
        Shared server = shared(NO_CACHE); // after anOutageIsReported..., which started the chain again
        Path data = server.data();
        try {
            ConfigurableApplicationContext ctx = server.ctx();
            String base = baseUrl(ctx);
            String custodian = DevTokens.mint(data, Role.CUSTODIAN, null);
            String patientId = created(send(base, "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}"));
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            long audits = auditEvents(ctx);
            long patients =
                    jdbc.queryForObject("select count(*) from HFJ_RESOURCE where RES_TYPE = 'Patient'", Long.class);

            anvil.stop();
            HttpResponse<String> r = send(base, "GET", custodian, "/Patient/" + patientId, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("OperationOutcome").contains("ledger");
            assertThat(send(base, "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}")
                            .statusCode())
                    .isEqualTo(503);
            assertThat(auditEvents(ctx)).as("both refusals audited").isEqualTo(audits + 2);
            assertThat(jdbc.queryForObject("select count(*) from HFJ_RESOURCE where RES_TYPE = 'Patient'", Long.class))
                    .isEqualTo(patients);
        } finally {
            release(NO_CACHE);
        }
    }

    @Test
    @Order(3)
    void anOutageIsReportedWithinSecondsAndEveryCallerGetsA503AtOnceWithRetryAfter() throws Exception {
        Shared server = shared(NO_CACHE); // the chain is started again at the end: withTheChainStopped... uses it next
        Path data = server.data();
        try {
            ConfigurableApplicationContext ctx = server.ctx();
            String base = baseUrl(ctx);
            String custodian = DevTokens.mint(data, Role.CUSTODIAN, null);
            String patientId = created(send(base, "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}"));
            String health = base.replace("/fhir", "/actuator/health");

            anvil.stop();
            // with no request at all, the probe finds the outage: both health components say so
            awaitHealth(
                    health,
                    h -> "DOWN".equals(h.at("/components/ledger/status").asText())
                            && h.at("/components/outbox/details/chainError").isTextual());
            for (int i = 0; i < 3; i++) {
                // a short client timeout: a caller waiting out read retries (the production 5 s, formerly 30 s) fails
                // here
                HttpResponse<String> r = quick("GET", base + "/Patient/" + patientId, custodian, null);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("3");
                assertThat(r.body())
                        .contains("OperationOutcome")
                        .contains("ledger")
                        .contains("Retry later");
            }

            anvil.start();
            awaitHealth(
                    health, h -> "UP".equals(h.at("/components/ledger/status").asText()));
            assertThat(awaitStatus(base, custodian, "/Patient/" + patientId, 200))
                    .as("served again once the probe sees the chain")
                    .isEqualTo(200);
        } catch (Throwable t) {
            release(NO_CACHE); // the other test starts its own
            throw t;
        }
    }

    @Test
    @Order(2)
    void aClinicianCannotRegisterAPatientDuringAnOutageAndIsToldNothingWasStored() throws Exception {
        Shared server = shared(LONG_CACHE);
        Path data = server.data();
        try {
            ConfigurableApplicationContext ctx = server.ctx();
            String base = baseUrl(ctx);
            DevTokens.Minted dr = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/dr-outage");
            // a registered clinician (a Practitioner resource here): their new patients get a creator consent on chain
            String admin = DevTokens.mint(data, Role.ADMIN, null);
            assertThat(send(
                                    base,
                                    "PUT",
                                    admin,
                                    "/Practitioner/dr-outage",
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"dr-outage\"}")
                            .statusCode())
                    .isIn(200, 201);
            // any decided request caches the clinician's roles while the chain is there (a search of all patients
            // lists the clinician's own, none yet, decided from the roles read on chain): the registration below gets
            // past authorisation, then needs the chain for the creator consent
            assertThat(send(base, "GET", dr.token(), "/Patient?_count=1", null).statusCode())
                    .isEqualTo(200);
            // the event of the clinician's role assignment may arrive after that fetch and void it (a change seen after
            // an answer): let it arrive (events are polled every second), then cache the roles again
            Thread.sleep(3000);
            assertThat(send(base, "GET", dr.token(), "/Patient?_count=1", null).statusCode())
                    .isEqualTo(200);
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            long patients =
                    jdbc.queryForObject("select count(*) from HFJ_RESOURCE where RES_TYPE = 'Patient'", Long.class);

            anvil.stop();
            awaitHealth(
                    base.replace("/fhir", "/actuator/health"),
                    h -> "DOWN".equals(h.at("/components/ledger/status").asText()));
            HttpResponse<String> r = quick("POST", base + "/Patient", dr.token(), "{\"resourceType\":\"Patient\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(r.body())
                    .contains("OperationOutcome")
                    .contains("ledger")
                    .containsIgnoringCase("nothing was stored");
            assertThat(jdbc.queryForObject("select count(*) from HFJ_RESOURCE where RES_TYPE = 'Patient'", Long.class))
                    .as("no Patient without its creator's consent")
                    .isEqualTo(patients);
        } finally {
            release(LONG_CACHE);
        }
    }

    @Test
    @Order(5)
    void failOpenIsAChoiceThatUsesTheLastKnownAnswer() throws Exception {
        try (ConfigurableApplicationContext ctx =
                start("--authorization.cache-ttl=0s", "--authorization.fail-closed=false")) {
            String base = baseUrl(ctx);
            String custodian = DevTokens.mint(data, Role.CUSTODIAN, null);
            String patientId = created(send(base, "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\"}"));
            // the event of the custodian's own role assignment may arrive after a fetch that already saw it; a change
            // seen after an answer makes that answer unusable when the chain is down, so wait for it, then ask again
            Thread.sleep(3000);
            assertThat(send(base, "GET", custodian, "/Patient/" + patientId, null)
                            .statusCode())
                    .isEqualTo(200);
            String stranger =
                    DevTokens.mint(data, Role.AUDITOR, "Practitioner/never-seen"); // on chain, unseen by the server
            anvil.stop();
            HttpResponse<String> stale = send(base, "GET", custodian, "/Patient/" + patientId, null);
            assertThat(stale.statusCode()).as(stale.body()).isEqualTo(200);
            assertThat(send(base, "GET", stranger, "/Patient/" + patientId, null)
                            .statusCode())
                    .as("nothing known about this caller: still refused")
                    .isEqualTo(503);
        }
    }

    /** A request that must be answered within 3 s (the configured outage settings are 0.5–2 s). */
    private static HttpResponse<String> quick(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(3))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json");
        b = body == null
                ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/fhir+json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
        return QUICK.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls /actuator/health for up to 10 s until it matches. */
    private static void awaitHealth(String url, java.util.function.Predicate<JsonNode> wanted) throws Exception {
        JsonNode last = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            last = new ObjectMapper()
                    .readTree(QUICK.send(
                                    HttpRequest.newBuilder(URI.create(url))
                                            .timeout(Duration.ofSeconds(5))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body());
            if (wanted.test(last)) return;
            Thread.sleep(100);
        }
        throw new AssertionError("not within 10 s at " + url + ": " + last);
    }

    private static final HttpClient QUICK = HttpClient.newHttpClient();

    /** After the audit records committed so far are AuditEvents (what an AuditEvent search waits for). */
    private static long auditEvents(ConfigurableApplicationContext ctx) {
        ctx.getBean(org.fhirledger.server.audit.AuditMaterialiser.class).catchUp();
        return ctx.getBean(JdbcTemplate.class)
                .queryForObject("select count(*) from HFJ_RESOURCE where RES_TYPE = 'AuditEvent'", Long.class);
    }

    private static String baseUrl(ConfigurableApplicationContext ctx) {
        return "http://localhost:"
                + ((WebServerApplicationContext) ctx).getWebServer().getPort() + "/fhir";
    }

    private static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        String location = r.headers().firstValue("Location").orElseThrow();
        String rest = location.substring(location.indexOf("/Patient/") + "/Patient/".length());
        return rest.substring(0, rest.indexOf('/'));
    }

    /** Polls a read for up to 15 s until it answers {@code wanted}; returns the last status. */
    private static int awaitStatus(String base, String token, String path, int wanted) throws InterruptedException {
        int status = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline
                && (status = send(base, "GET", token, path, null).statusCode()) != wanted) {
            Thread.sleep(100);
        }
        return status;
    }

    private static HttpResponse<String> send(String base, String method, String token, String path, String body) {
        return HttpProbe.request(method, base + path, HttpProbe.bearer(token), body);
    }
}
