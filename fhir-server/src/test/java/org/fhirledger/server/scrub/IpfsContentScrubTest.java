package org.fhirledger.server.scrub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.testing.AnvilExtension;
import org.fhirledger.testing.IpfsNodeExtension;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The content scrub against a real js-ipfs daemon (Kubo RPC): an object's block is damaged or removed in the node's
 * repository behind the server's back; the scrub finds it, puts the kept envelope back under the same CID, and
 * alarms while it cannot.
 */
class IpfsContentScrubTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    @RegisterExtension
    static final AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);

    @RegisterExtension
    static final IpfsNodeExtension ipfs = new IpfsNodeExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static PipelineServer server;

    @BeforeAll
    static void start() throws IOException {
        Path data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "ipfs-scrub-");
        server = PipelineServer.start(
                data,
                anvil.rpcUrl(),
                anvil.chainId(),
                "--content-store.ipfs-api-url=" + ipfs.apiUrl(),
                "--content-scrub.interval=100ms",
                "--content-scrub.objects-per-interval=50",
                // $verify answers from the proof module, which runs with anchoring
                "--anchor.enabled=true",
                "--anchor.rpc-url=" + publicChain.rpcUrl(),
                "--anchor.chain-id=31338",
                "--anchor.gas-price=0",
                "--anchor.every=1s",
                "--anchor.follow-interval=200ms");
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void aDamagedOrRemovedBlockIsPutBackUnderTheSameCid() throws Exception {
        String id = recordedPatient("IpfsScrubbed");
        long row = row(id);
        byte[] envelope = envelope(row);
        Path block = blockFile(envelope);
        assertThat(content(id)).isEqualTo("intact");

        long before = scrubber().repaired();
        flipByte(block);
        await("the flipped byte repaired", () -> scrubber().repaired() > before);
        await("the block holds the envelope again", () -> sameBytes(block, envelope));
        assertThat(cid(id))
                .as("same CID")
                .isEqualTo(server.jdbc().queryForObject("select cid from fl_outbox where id = ?", String.class, row));
        assertThat(content(id)).isEqualTo("intact");

        long now = scrubber().repaired();
        Files.delete(block);
        await("the removed block repaired", () -> scrubber().repaired() > now);
        await("the block is back", () -> sameBytes(block, envelope));
        assertThat(content(id)).isEqualTo("intact");
        assertThat(scrubber().unrepaired()).isEmpty();
        assertThat(health().getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void withoutAKeptEnvelopeTheDamageIsAnAlarmUntilTheEnvelopeIsBack() throws Exception {
        String id = recordedPatient("IpfsUnrepairable");
        long row = row(id);
        byte[] envelope = envelope(row);
        Path block = blockFile(envelope);
        server.jdbc().update("update fl_outbox set envelope = null where id = ?", row);

        flipByte(block);
        await("reported unrepaired", () -> scrubber().unrepaired().containsKey(row));
        assertThat(scrubber().unrepaired().get(row).condition()).isEqualTo(ContentCondition.CORRUPTED);
        Health h = health();
        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
        assertThat(h.getDetails().toString()).contains("outbox " + row).doesNotContain("IpfsUnrepairable");
        JsonNode answer = verify(id);
        assertThat(value(answer, "content")).isEqualTo("corrupted");
        assertThat(value(answer, "status")).isEqualTo("failed");
        assertThat(server.get("/Patient/" + id).statusCode())
                .as("reads come from the database")
                .isEqualTo(200);

        server.jdbc().update("update fl_outbox set envelope = ? where id = ?", envelope, row);
        await(
                "repaired once the envelope is back",
                () -> !scrubber().unrepaired().containsKey(row));
        assertThat(sameBytes(block, envelope)).isTrue();
        assertThat(content(id)).isEqualTo("intact");
        assertThat(health().getStatus()).isEqualTo(Status.UP);
    }

    private static ContentScrubber scrubber() {
        return server.ctx.getBean(ContentScrubber.class);
    }

    private static Health health() {
        return server.ctx.getBean(ContentScrubHealthIndicator.class).health();
    }

    private static String recordedPatient(String family) {
        Patient p = new Patient();
        p.addName().setFamily(family);
        String id = server.client().create().resource(p).execute().getId().getIdPart();
        await(
                "confirmed",
                () -> "CONFIRMED"
                        .equals(server.jdbc()
                                .query(
                                        "select state from fl_outbox where"
                                                + " res_type = 'Patient' and res_id = ? and res_version = 1",
                                        rs -> rs.next() ? rs.getString(1) : null,
                                        id)));
        return id;
    }

    private static long row(String patientId) {
        return server.jdbc()
                .queryForObject(
                        "select id from fl_outbox where res_type = 'Patient' and res_id = ?" + " and res_version = 1",
                        Long.class,
                        patientId);
    }

    private static String cid(String patientId) {
        return server.jdbc()
                .queryForObject(
                        "select cid from fl_outbox where res_type = 'Patient' and res_id = ?" + " and res_version = 1",
                        String.class,
                        patientId);
    }

    private static byte[] envelope(long row) {
        return server.jdbc().queryForObject("select envelope from fl_outbox where id = ?", byte[].class, row);
    }

    /** The node's block holding the envelope (one raw block: an envelope is smaller than a chunk). */
    private static Path blockFile(byte[] envelope) throws IOException {
        try (Stream<Path> files = Files.walk(ipfs.node().repo().resolve("blocks"))) {
            List<Path> found = files.filter(Files::isRegularFile)
                    .filter(f -> sameBytes(f, envelope))
                    .toList();
            assertThat(found)
                    .as("one block in the node's repository holds the envelope")
                    .hasSize(1);
            return found.get(0);
        }
    }

    private static void flipByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x01;
        Files.write(file, b);
    }

    private static boolean sameBytes(Path file, byte[] expected) {
        try {
            return Files.exists(file) && Arrays.equals(Files.readAllBytes(file), expected);
        } catch (IOException e) {
            return false;
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        PipelineServer.await(condition, Duration.ofSeconds(30), what);
    }

    private static String content(String id) throws IOException {
        return value(verify(id), "content");
    }

    private static JsonNode verify(String id) throws IOException {
        var r = server.get("/Patient/" + id + "/_history/1/$verify");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
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
