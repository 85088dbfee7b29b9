package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.testing.AnvilExtension;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipeline on real PostgreSQL against anvil with 1-second blocks: a chain outage (writes go on, reads say
 * pending, the writer catches up), tamper detection by SQL, and two replicas sharing one database and data
 * directory (one writer; the other takes over when it goes).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresPipelineTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    static Path data;
    static String jdbcUrl;
    static PipelineServer a;

    @BeforeAll
    static void start() throws Exception {
        String db = "pipeline_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        jdbcUrl = PostgresInitializer.postgres().getJdbcUrl("postgres", db);
        data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "pg-pipeline-");
        a = startReplica();
    }

    static PipelineServer startReplica() {
        return PipelineServer.start(
                data,
                anvil.rpcUrl(),
                anvil.chainId(),
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=",
                "--outbox.lock-retry=500ms");
    }

    @AfterAll
    static void stop() {
        if (a != null) a.close();
    }

    static Patient patient(String family) {
        Patient p = new Patient();
        p.addName().setFamily(family).addGiven("Peter");
        return p;
    }

    static boolean pending(Patient p) {
        return p.getMeta().getTag().stream()
                .anyMatch(t ->
                        CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()) && "pending".equals(t.getCode()));
    }

    @Test
    @Order(1)
    void writesGoOnWhileTheChainIsDownAndAreServedAsPendingUntilTheWriterCatchesUp() {
        IGenericClient client = a.client();
        a.awaitBacklogEmpty(Duration.ofSeconds(30));
        // authorisation answers are cached (authorization.cache-ttl) and carry the API through the outage; a change
        // seen after an answer (here the event of the custodian role assigned at start) voids it, so wait for that
        // event, then ask once more while the chain is up
        sleep(2500);
        client.search()
                .forResource(Patient.class)
                .where(Patient.RES_ID.exactly().code("none"))
                .returnBundle(org.hl7.fhir.r4.model.Bundle.class)
                .execute();
        anvil.stop();
        List<IdType> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++)
                ids.add((IdType) client.create()
                        .resource(patient("Outage" + i))
                        .execute()
                        .getId());
            Patient p = client.read()
                    .resource(Patient.class)
                    .withId(ids.get(0).toUnqualifiedVersionless())
                    .execute();
            assertThat(pending(p)).as("served, marked pending").isTrue();
            assertThat(p.getNameFirstRep().getFamily()).isEqualTo("Outage0");
            JsonNode health = a.health();
            assertThat(health.at("/components/outbox/details/backlog").asLong()).isGreaterThanOrEqualTo(10);
            assertThat(health.at("/components/ledger/status").asText()).isEqualTo("DOWN");
            assertThat(a.get("/Patient/" + ids.get(1).getIdPart()).statusCode()).isEqualTo(200);
        } finally {
            anvil.start();
        }
        a.awaitBacklogEmpty(Duration.ofSeconds(90));
        // the direct chain reads below fail fast until the node watch's next probe has seen the chain back (on a
        // loaded machine a probe answering late marks it down again for a moment)
        long upBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (a.ledger().outage().isPresent() && System.nanoTime() < upBy) sleep(100);
        for (IdType id : ids) {
            Patient p = client.read()
                    .resource(Patient.class)
                    .withId(id.toUnqualifiedVersionless())
                    .execute();
            assertThat(pending(p))
                    .as("checked against the chain once confirmed")
                    .isFalse();
            assertThat(a.ledger()
                            .findRecord(
                                    a.ctx.getBean(org.fhirledger.server.pseudonym.Pseudonyms.class)
                                            .of("Patient/" + id.getIdPart()),
                                    1))
                    .isPresent();
        }
        PipelineServer.await(
                () -> "UP".equals(a.health().at("/components/outbox/status").asText()),
                Duration.ofSeconds(30),
                "outbox health back UP");
    }

    @Test
    @Order(2)
    void aBodyAlteredInTheDatabaseIsRefusedAndAudited() {
        IGenericClient client = a.client();
        IdType id =
                (IdType) client.create().resource(patient("Chalmers")).execute().getId();
        a.awaitBacklogEmpty(Duration.ofSeconds(30));
        assertThat(a.get("/Patient/" + id.getIdPart()).statusCode()).isEqualTo(200);

        int changed = a.jdbc()
                .update(
                        "update hfj_res_ver set res_text_vc = replace(res_text_vc, 'Chalmers', 'Mallory')"
                                + " where res_id = (select res_id from hfj_resource where fhir_id = ? and res_type = 'Patient')"
                                + " and res_ver = 1",
                        id.getIdPart());
        assertThat(changed).as("the stored JSON row").isEqualTo(1);

        for (String path : List.of("/Patient/" + id.getIdPart(), "/Patient/" + id.getIdPart() + "/_history/1")) {
            HttpResponse<String> r = a.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(500);
            assertThat(r.body())
                    .contains("OperationOutcome")
                    .contains("integrity check")
                    .doesNotContain("Mallory");
        }
        // in a search page it is withheld, with an outcome entry saying so
        HttpResponse<String> page = a.get("/Patient?_id=" + id.getIdPart());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body())
                .contains("\"mode\":\"outcome\"")
                .contains("integrity check")
                .doesNotContain("Mallory")
                .doesNotContain("\"resourceType\":\"Patient\"");
        a.catchUpAudits();
        List<Map<String, Object>> failures = a.jdbc()
                .queryForList(
                        "select res_id from fl_outbox where kind = 'ACCESS' and outcome_code = 1 and resource_pn = ?",
                        a.ctx.getBean(org.fhirledger.server.pseudonym.Pseudonyms.class)
                                .of("Patient/" + id.getIdPart())
                                .toHex());
        assertThat(failures)
                .as("a failure AuditEvent per refused read or withheld version, each bound for the access ledger")
                .hasSize(3);
        AuditEvent ae = client.read()
                .resource(AuditEvent.class)
                .withId(failures.get(0).get("res_id").toString())
                .execute();
        assertThat(ae.getOutcome().toCode()).isEqualTo(AuditShape.OUTCOME_FAILED);
        assertThat(ae.getAgentFirstRep().getWho().getIdentifier().getValue()).startsWith("0x");
        assertThatThrownBy(() -> client.read()
                        .resource(Patient.class)
                        .withId(id.toUnqualifiedVersionless())
                        .execute())
                .isInstanceOf(BaseServerResponseException.class);
        a.awaitBacklogEmpty(Duration.ofSeconds(30));
    }

    @Test
    @Order(3)
    void twoReplicasShareOneDatabaseWithOneWriterAndTheOtherTakesOver() {
        try (PipelineServer b = startReplica()) {
            assertThat(a.health().at("/components/outbox/details/writer").asText())
                    .isEqualTo("active");
            PipelineServer.await(
                    () -> "standby"
                            .equals(b.health()
                                    .at("/components/outbox/details/writer")
                                    .asText()),
                    Duration.ofSeconds(10),
                    "second replica on standby");
            IGenericClient viaB = b.client();
            List<IdType> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++)
                ids.add((IdType)
                        viaB.create().resource(patient("ViaB" + i)).execute().getId());
            a.awaitBacklogEmpty(Duration.ofSeconds(30)); // written by replica A's writer
            assertThat(b.health().at("/components/outbox/details/writer").asText())
                    .isEqualTo("standby");

            a.close(); // the active writer goes away
            a = null;
            for (int i = 0; i < 5; i++)
                ids.add((IdType)
                        viaB.create().resource(patient("AfterA" + i)).execute().getId());
            PipelineServer.await(
                    () -> "active"
                            .equals(b.health()
                                    .at("/components/outbox/details/writer")
                                    .asText()),
                    Duration.ofSeconds(10),
                    "second replica takes over");
            b.awaitBacklogEmpty(Duration.ofSeconds(60));
            var pseudonyms = b.ctx.getBean(org.fhirledger.server.pseudonym.Pseudonyms.class);
            for (IdType id : ids) {
                Bytes32 pn = pseudonyms.of("Patient/" + id.getIdPart());
                assertThat(b.ledger().recordHistory(pn)).as("exactly one entry").hasSize(1);
            }
            assertThat(b.jdbc().queryForObject("select count(*) from fl_outbox where state <> 'CONFIRMED'", Long.class))
                    .isZero();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
