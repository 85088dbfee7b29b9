package org.fhirledger.server.scrub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.TwoChains;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The content scrub on the local content store (real files under the data directory), end to end: the server (H2)
 * on a private and a public anvil, the scrub every 100 ms. Objects are damaged on disk behind the server's back.
 */
class ContentScrubTest {

    @RegisterExtension
    static final TwoChains chains = TwoChains.automine();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static ConfigurableApplicationContext ctx;
    static Path data;
    static String base;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "scrub-");
        ctx = chains.startServer(data, "--content-scrub.interval=100ms", "--content-scrub.objects-per-interval=50");
        base = "http://localhost:"
                + ((WebServerApplicationContext) ctx).getWebServer().getPort() + "/fhir";
        token = DevTokens.mint(data, Role.CUSTODIAN, null);
    }

    @AfterAll
    static void stop() {
        if (ctx != null) ctx.close();
    }

    @Test
    void aFlippedByteIsDetectedAndRepairedFromTheKeptEnvelopeWithTheSameCid() throws Exception {
        String id = recordedPatient("Scrubbed");
        Path file = objectFile(cid(id));
        byte[] original = Files.readAllBytes(file);
        assertThat(content(id)).isEqualTo("intact");
        long repairedBefore = scrubber().repaired();

        flipByte(file);
        awaitTrue("repaired", () -> scrubber().repaired() > repairedBefore);
        awaitTrue("the file holds the original bytes again", () -> sameBytes(file, original));
        assertThat(content(id)).isEqualTo("intact");
        assertThat(cid(id)).as("same CID").isEqualTo(file.getFileName().toString());

        // a lost object is put back too
        long repairedNow = scrubber().repaired();
        Files.delete(file);
        awaitTrue("repaired after deletion", () -> scrubber().repaired() > repairedNow);
        awaitTrue("the file is back", () -> sameBytes(file, original));
        assertThat(content(id)).isEqualTo("intact");
        assertThat(scrubber().unrepaired()).isEmpty();
        assertThat(health().getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void withoutAKeptEnvelopeTheDamageIsReportedUntilTheEnvelopeIsBack() throws Exception {
        String id = recordedPatient("Unrepairable");
        Path file = objectFile(cid(id));
        long row = jdbc().queryForObject(
                        "select id from fl_outbox where res_type = 'Patient' and res_id = ?" + " and res_version = 1",
                        Long.class,
                        id);
        byte[] envelope = jdbc().queryForObject("select envelope from fl_outbox where id = ?", byte[].class, row);
        // as for rows confirmed before envelopes were kept
        jdbc().update("update fl_outbox set envelope = null where id = ?", row);

        flipByte(file);
        awaitTrue("reported unrepaired", () -> scrubber().unrepaired().containsKey(row));
        assertThat(scrubber().unrepaired().get(row).condition()).isEqualTo(ContentCondition.CORRUPTED);
        Health h = health();
        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
        assertThat(h.getDetails().get("unrepaired")).isEqualTo(1);
        assertThat(h.getDetails().toString())
                .contains("outbox " + row)
                .contains(cid(id))
                .doesNotContain("Unrepairable");
        JsonNode answer = verify(id);
        assertThat(value(answer, "content")).isEqualTo("corrupted");
        assertThat(value(answer, "status")).isEqualTo("failed");
        assertThat(answer.toString()).doesNotContain("Unrepairable");
        // reads come from the database and are unaffected
        assertThat(get("/Patient/" + id).statusCode()).isEqualTo(200);

        // the envelope back in the database: the next pass repairs
        jdbc().update("update fl_outbox set envelope = ? where id = ?", envelope, row);
        awaitTrue("repaired", () -> !scrubber().unrepaired().containsKey(row));
        assertThat(content(id)).isEqualTo("intact");
        assertThat(health().getStatus()).isEqualTo(Status.UP);
    }

    private static ContentScrubber scrubber() {
        return ctx.getBean(ContentScrubber.class);
    }

    private static Health health() {
        return ctx.getBean(ContentScrubHealthIndicator.class).health();
    }

    private static JdbcTemplate jdbc() {
        return ctx.getBean(JdbcTemplate.class);
    }

    private static String cid(String patientId) {
        return jdbc().queryForObject(
                        "select cid from fl_outbox where res_type = 'Patient' and res_id = ?" + " and res_version = 1",
                        String.class,
                        patientId);
    }

    /** Where the local store keeps an object (docs/content-store.md): objects/<last two characters>/<cid>. */
    private static Path objectFile(String cid) {
        Path p = data.resolve("content")
                .resolve("objects")
                .resolve(cid.substring(cid.length() - 2))
                .resolve(cid);
        assertThat(p).exists();
        return p;
    }

    private static void flipByte(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x01;
        Files.write(file, b);
    }

    private static boolean sameBytes(Path file, byte[] expected) {
        try {
            return Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), expected);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(50);
        }
    }

    private static String content(String id) throws Exception {
        return value(verify(id), "content");
    }

    private static JsonNode verify(String id) throws Exception {
        HttpResponse<String> r = get("/Patient/" + id + "/_history/1/$verify");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String recordedPatient(String family) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/Patient"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        String id = JSON.readTree(r.body()).get("id").asText();
        awaitTrue(
                "confirmed",
                () -> "CONFIRMED"
                        .equals(jdbc().query(
                                        "select state from fl_outbox where"
                                                + " res_type = 'Patient' and res_id = ? and res_version = 1",
                                        rs -> rs.next() ? rs.getString(1) : null,
                                        id)));
        return id;
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String value(JsonNode params, String name) {
        for (JsonNode p : params.path("parameter")) {
            if (p.path("name").asText().equals(name)) {
                var it = p.fields();
                while (it.hasNext()) {
                    var f = it.next();
                    if (f.getKey().startsWith("value")) return f.getValue().asText();
                }
            }
        }
        return null;
    }
}
