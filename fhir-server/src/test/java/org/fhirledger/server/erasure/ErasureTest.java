package org.fhirledger.server.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.content.KuboConfig;
import org.fhirledger.content.KuboContentStore;
import org.fhirledger.crypto.DataKeyDestroyedException;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.FileDataKeyStore;
import org.fhirledger.crypto.FileKeyVault;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.Role;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.outbox.VersionRecorder;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.server.testing.TwoChains;
import org.fhirledger.testing.IpfsNodeExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.http.HttpService;

/**
 * {@code Patient/[id]/$erase} end to end on PostgreSQL, a private anvil, a public anvil (anchoring) and a js-ipfs
 * content store: who may erase, the chain outage that changes nothing, an interrupted erasure completed by a rerun,
 * and the erasure itself, after which every table, every content-store object, every transaction and log of both
 * chains and the server's log are scanned for the patient's PHI markers (found there before erasure: the scan
 * sees them when they are present).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ErasureTest {

    @RegisterExtension
    static final TwoChains chains = TwoChains.automine();

    @RegisterExtension
    static final IpfsNodeExtension ipfs = new IpfsNodeExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String M =
            UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    // the patient's PHI: unique strings that appear nowhere else
    static final String FAMILY = "Zyxfam" + M;
    static final String GIVEN = "Qwgiven" + M;
    static final String OLD_FAMILY = "Oldfam" + M;
    static final String BIRTH = "1903-07-19";
    static final String NOTE = "Notetext" + M + " patient reports dizziness";
    static final String REASON = "Reasontext" + M + " request under Art. 17";
    static final List<String> MARKERS = List.of(FAMILY, GIVEN, OLD_FAMILY, BIRTH, "Notetext" + M, "Reasontext" + M);

    static PrintStream realOut;
    static PrintStream realErr;
    static final ByteArrayOutputStream serverLog = new ByteArrayOutputStream();
    static String jdbcUrl;
    static Path data;
    static PipelineServer server;
    static String custodian;
    static DevTokens.Minted clinician;
    static String auditor;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        realOut = System.out;
        realErr = System.err;
        System.setOut(new PrintStream(new Tee(realOut), true));
        System.setErr(new PrintStream(new Tee(realErr), true));
        String db = "erasure_" + M;
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        jdbcUrl = PostgresInitializer.postgres().getJdbcUrl("postgres", db);
        data = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "erasure-");
        server = chains.startPipeline(data, serverArgs());
        custodian = server.token();
        admin = DevTokens.mint(data, Role.ADMIN, null);
        assertThat(send(
                                "PUT",
                                admin,
                                "/Practitioner/dr-e",
                                "{\"resourceType\":\"Practitioner\",\"id\":\"dr-e\","
                                        + "\"name\":[{\"family\":\"Erwin\"}]}")
                        .statusCode())
                .isIn(200, 201);
        clinician = DevTokens.mintFor(data, Role.CLINICIAN, "Practitioner/dr-e");
        auditor = DevTokens.mint(data, Role.AUDITOR, null);
    }

    static String[] serverArgs() {
        return new String[] {
            "--spring.datasource.url=" + jdbcUrl,
            "--spring.datasource.username=postgres",
            "--spring.datasource.password=",
            "--content-store.ipfs-api-url=" + ipfs.apiUrl(),
            "--outbox.retry-max=1s",
            "--ledger.probe-interval=200ms"
        };
    }

    @AfterAll
    static void stop() {
        try {
            if (server != null) server.close();
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
        }
    }

    /** A patient created by the clinician (so with the consent the server records for its creator). */
    static String patient(String family) throws Exception {
        return id(send(
                "POST",
                clinician.token(),
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}"));
    }

    @Test
    @Order(1)
    void onlyTheCustodianErasesWithAReasonAndAnUnknownPatientIs404() throws Exception {
        String id = patient("Refused");
        String patientToken = DevTokens.mint(data, Role.PATIENT, "Patient/" + id);
        for (String token : List.of(clinician.token(), patientToken, admin, auditor)) {
            HttpResponse<String> r = erase(token, id, "no");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.body()).contains("OperationOutcome").contains("$erase is for the custodian only");
        }
        server.catchUpAudits();
        Long denials = server.jdbc()
                .queryForObject(
                        "select count(*) from HFJ_RES_VER where RES_TYPE = 'AuditEvent'"
                                + " and RES_TEXT_VC like '%$erase is for the custodian only%'",
                        Long.class);
        assertThat(denials).isEqualTo(4);
        HttpResponse<String> noReason =
                send("POST", custodian, "/Patient/" + id + "/$erase", "{\"resourceType\":\"Parameters\"}");
        assertThat(noReason.statusCode()).as(noReason.body()).isEqualTo(400);
        assertThat(noReason.body()).contains("OperationOutcome");
        assertThat(erase(custodian, "does-not-exist", "x").statusCode()).isEqualTo(404);
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(200);
        assertThat(server.jdbc().queryForObject("select count(*) from fl_erasure", Long.class))
                .isZero();
        // the public $expunge stays refused, also for the custodian: erasure expunges through the server's own call
        HttpResponse<String> expunge = send(
                "POST",
                custodian,
                "/Patient/" + id + "/$expunge",
                "{\"resourceType\":"
                        + "\"Parameters\",\"parameter\":[{\"name\":\"expungeEverything\",\"valueBoolean\":true}]}");
        assertThat(expunge.statusCode()).as(expunge.body()).isBetween(400, 499);
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(200);
        // the CapabilityStatement lists the operation on Patient
        JsonNode patientRest = null;
        for (JsonNode r :
                JSON.readTree(send("GET", custodian, "/metadata", null).body()).at("/rest/0/resource")) {
            if ("Patient".equals(r.path("type").asText())) patientRest = r;
        }
        assertThat(patientRest).isNotNull();
        assertThat(patientRest.path("operation").toString()).contains("\"name\":\"erase\"");
    }

    @Test
    @Order(2)
    void whileTheChainIsDownTheErasureIsRefusedBeforeAnythingChanges() throws Exception {
        String id = patient("Outage");
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        chains.privateChain().stop();
        try {
            HttpResponse<String> r = erase(custodian, id, "outage");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("OperationOutcome").contains("nothing was changed");
        } finally {
            chains.privateChain().start();
            // the server's outage breaker lets requests through once its probe has seen the node again
            await(() -> server.ledger().outage().isEmpty(), "the server sees the chain again");
        }
        assertThat(server.jdbc().queryForObject("select count(*) from fl_erasure", Long.class))
                .isZero();
        assertThat(server.jdbc().queryForObject("select count(*) from fl_erased", Long.class))
                .isZero();
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", custodian, "/Consent?patient=Patient/" + id, null)
                        .body())
                .contains("\"total\":1");
    }

    @Test
    @Order(3)
    void anErasureInterruptedAfterItsIntentAnswers410AndARerunCompletesIt() throws Exception {
        String id = patient("Interrupted");
        ErasureService service = server.ctx.getBean(ErasureService.class);
        Bytes32 pn = server.ctx.getBean(Pseudonyms.class).of("Patient", id);
        // the first steps of an erasure, then the "crash": the intent and the erased marks, nothing deleted yet
        service.registry().begin(id, pn, java.time.Instant.now(), ErasureTombstone.reasonHash(pn, "crash"));
        service.registry().markErased(pn, List.of(pn));
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(410);
        assertThat(server.jdbc()
                        .queryForObject(
                                "select count(*) from HFJ_RESOURCE where RES_TYPE = 'Patient' and FHIR_ID = ?",
                                Long.class,
                                id))
                .isEqualTo(1);

        HttpResponse<String> rerun = erase(custodian, id, "crash");
        assertThat(rerun.statusCode()).as(rerun.body()).isEqualTo(200);
        assertThat(server.jdbc().queryForObject("select count(*) from HFJ_RESOURCE where FHIR_ID = ?", Long.class, id))
                .isZero();
        assertThat(server.jdbc()
                        .queryForObject(
                                "select count(*) from HFJ_RESOURCE r where RES_TYPE = 'Consent' and exists"
                                        + " (select 1 from fl_outbox o where o.res_type = 'Consent' and o.res_id = r.FHIR_ID and o.patient_pn = ?)",
                                Long.class,
                                pn.toHex()))
                .isZero();
        assertThat(service.registry().find(pn).orElseThrow().state()).isEqualTo(ErasureRegistry.State.DONE);
        HttpResponse<String> again = erase(custodian, id, "crash");
        assertThat(again.statusCode()).isEqualTo(410);
        assertThat(again.body()).contains("already erased");
    }

    @Test
    @Order(4)
    void anErasedPatientIsGoneFromTheDatabaseTheContentStoreTheChainsAndTheLogsAndTheLedgerProvesItExisted()
            throws Exception {
        // the patient: two versions, an observation with a note, a deleted observation, and the creator's consent
        String id = id(send(
                "POST",
                clinician.token(),
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + OLD_FAMILY + "\"}],\"birthDate\":\"" + BIRTH
                        + "\"}"));
        assertThat(send(
                                "PUT",
                                clinician.token(),
                                "/Patient/" + id,
                                "{\"resourceType\":\"Patient\",\"id\":\"" + id
                                        + "\",\"name\":[{\"family\":\"" + FAMILY + "\",\"given\":[\"" + GIVEN
                                        + "\"]}],\"birthDate\":\"" + BIRTH
                                        + "\"}")
                        .statusCode())
                .isEqualTo(200);
        String obs = id(send("POST", clinician.token(), "/Observation", observation(id, NOTE)));
        String gone = id(send("POST", clinician.token(), "/Observation", observation(id, "Notetext" + M + " deleted")));
        assertThat(send("DELETE", clinician.token(), "/Observation/" + gone, null)
                        .statusCode())
                .isIn(200, 204);
        String other = patient("Bystander" + M.substring(0, 3));
        String otherObs = id(send("POST", clinician.token(), "/Observation", observation(other, "unrelated")));
        server.awaitBacklogEmpty(Duration.ofSeconds(60));

        Pseudonyms pseudonyms = server.ctx.getBean(Pseudonyms.class);
        Bytes32 pn = pseudonyms.of("Patient", id);
        String v1Hash = server.jdbc()
                .queryForObject(
                        "select content_hash from fl_outbox where res_type = 'Patient'"
                                + " and res_id = ? and res_version = 1",
                        String.class,
                        id);
        List<String> cids = server.jdbc()
                .queryForList(
                        "select cid from fl_outbox where kind = 'RECORD' and patient_pn = ?", String.class, pn.toHex());
        assertThat(cids).hasSizeGreaterThanOrEqualTo(6); // 2 patient, 2+1 observations, consent
        await(() -> anchored("Patient/" + id + "/_history/1"), "version 1 anchored");
        String clinicianAddress = clinician.ledgerAddress();
        assertThat(server.ledger().consentOf(pn, clinicianAddress).actions()).isNotZero();

        // positive controls: the scans see the markers while they are there
        assertThat(databaseHits()).contains(FAMILY, OLD_FAMILY, BIRTH, "Notetext" + M);
        KuboContentStore node = new KuboContentStore(KuboConfig.defaults(ipfs.apiUrl()));
        EnvelopeCipher cipher = new EnvelopeCipher(FileKeyVault.open(data), new FileDataKeyStore(data));
        byte[] v1 = node.get(Cid.parse(server.jdbc()
                .queryForObject(
                        "select cid from fl_outbox where res_type = 'Patient'" + " and res_id = ? and res_version = 1",
                        String.class,
                        id)));
        assertThat(new String(
                        cipher.decrypt(VersionRecorder.keyIdOf(pn), new ResourceVersion("Patient", id, "1"), v1),
                        StandardCharsets.UTF_8))
                .contains(OLD_FAMILY);

        HttpResponse<String> erased = erase(custodian, id, REASON);
        assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(erased.body());
        assertThat(value(answer, "status")).isEqualTo("erased");
        String entry = value(answer, "erasureEntry");
        // versions 1, 2, the delete (3), then the erasure entry
        assertThat(entry).isEqualTo("Patient/" + id + "/_history/4");

        // reads answer 410 with an OperationOutcome; the bystander is untouched
        for (String path : List.of(
                "/Patient/" + id,
                "/Patient/" + id + "/_history/1",
                "/Patient/" + id + "/_history",
                "/Patient?_id=" + id,
                "/Observation/" + obs,
                "/Observation/" + gone + "/_history/1",
                "/Observation?patient=Patient/" + id)) {
            HttpResponse<String> r = send("GET", custodian, path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(410);
            assertThat(r.body()).as(path).contains("OperationOutcome").contains("erased on");
        }
        assertThat(send("PUT", custodian, "/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}")
                        .statusCode())
                .isEqualTo(410);
        assertThat(send("GET", custodian, "/Observation/" + otherObs, null).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", custodian, "/Patient/" + other, null).statusCode())
                .isEqualTo(200);
        HttpResponse<String> again = erase(custodian, id, REASON);
        assertThat(again.statusCode()).isEqualTo(410);

        // access revoked on chain, key shredded, what the content store holds is ciphertext nobody can open
        assertThat(server.ledger().consentOf(pn, clinicianAddress).actions()).isZero();
        assertThat(new EnvelopeCipher(FileKeyVault.open(data), new FileDataKeyStore(data))
                        .isShredded(VersionRecorder.keyIdOf(pn)))
                .isTrue();
        // a fresh cipher over the key store (the one above holds the key in memory, as the server's did until it
        // shredded)
        EnvelopeCipher after = new EnvelopeCipher(FileKeyVault.open(data), new FileDataKeyStore(data));
        assertThatThrownBy(
                        () -> after.decrypt(VersionRecorder.keyIdOf(pn), new ResourceVersion("Patient", id, "1"), v1))
                .isInstanceOf(DataKeyDestroyedException.class);
        for (String cid : cids) {
            String raw = new String(node.get(Cid.parse(cid)), StandardCharsets.ISO_8859_1);
            for (String m : MARKERS) assertThat(raw).doesNotContain(m);
        }

        // the ledger: the erasure entry is recorded and anchored; $verify says "erased" with the old hash and a proof
        server.awaitBacklogEmpty(Duration.ofSeconds(60));
        await(() -> anchored(entry), "erasure entry anchored");
        ErasureRegistry.Erasure e =
                server.ctx.getBean(ErasureRegistry.class).find(pn).orElseThrow();
        Bytes32 tombstone =
                CanonicalResource.contentHash(ErasureTombstone.json("Patient", id, e.erasedAt(), e.reasonHash()));
        assertThat(server.ledger().findRecord(pn, 4).orElseThrow().entry().contentHash())
                .isEqualTo(tombstone);
        JsonNode current = verify(auditor, "/Patient/" + id);
        assertThat(value(current, "status")).isEqualTo("erased");
        assertThat(value(current, "contentHash")).isEqualTo(tombstone.toHex());
        JsonNode old = verify(auditor, "/Patient/" + id + "/_history/1");
        assertThat(value(old, "status")).isEqualTo("erased");
        assertThat(value(old, "contentHash")).isEqualTo(v1Hash);
        assertThat(value(old, "erasedAt")).isEqualTo(e.erasedAt().toString());
        assertThat(old.toString()).contains("inclusionProof").contains("anchorTx");
        // to a caller who may not see the patient an erased id is one more id that is not theirs: 404, like any other
        assertThat(send("GET", clinician.token(), "/Patient/" + id + "/_history/1/$verify", null)
                        .statusCode())
                .isEqualTo(404);

        // the erasure is audited with the reason's hash
        server.catchUpAudits();
        assertThat(server.jdbc()
                        .queryForObject(
                                "select count(*) from HFJ_RES_VER where RES_TYPE = 'AuditEvent'"
                                        + " and RES_TEXT_VC like ?",
                                Long.class,
                                "%" + e.reasonHash() + "%"))
                .isEqualTo(1);

        // nothing of the patient anywhere
        assertThat(databaseHits()).isEmpty();
        assertThat(chainHits(chains.privateChain().rpcUrl())).isEmpty();
        assertThat(chainHits(chains.publicChain().rpcUrl())).isEmpty();
        String log = serverLog.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("erasure of patient " + pn.toHex());
        for (String m : MARKERS) assertThat(log).doesNotContain(m);
    }

    @Test
    @Order(5)
    void anErasureInterruptedByACrashIsCompletedWhenTheServerStartsAgain() throws Exception {
        String id = patient("Restarted");
        Bytes32 pn = server.ctx.getBean(Pseudonyms.class).of("Patient", id);
        ErasureRegistry registry = server.ctx.getBean(ErasureRegistry.class);
        registry.begin(id, pn, java.time.Instant.now(), ErasureTombstone.reasonHash(pn, "crash"));
        registry.markErased(pn, List.of(pn));
        server.close(); // the "crash" after the intent
        server = chains.startPipeline(data, serverArgs());
        custodian = server.token();
        ErasureRegistry after = server.ctx.getBean(ErasureRegistry.class);
        await(
                () -> after.find(pn)
                        .map(e -> e.state() == ErasureRegistry.State.DONE)
                        .orElse(false),
                "erasure resumed");
        assertThat(server.jdbc().queryForObject("select count(*) from HFJ_RESOURCE where FHIR_ID = ?", Long.class, id))
                .isZero();
        assertThat(send("GET", custodian, "/Patient/" + id, null).statusCode()).isEqualTo(410);
    }

    @Test
    @Order(6)
    void aResourceThatIsAnotherPatientsTooBlocksTheErasureUntilThePatientIsRemovedFromIt() throws Exception {
        String leaving = patient("Leaving");
        String staying = patient("Staying");
        String group = id(send(
                "POST",
                custodian,
                "/Group",
                "{\"resourceType\":\"Group\",\"type\":\"person\","
                        + "\"actual\":true,\"member\":[{\"entity\":{\"reference\":\"Patient/" + leaving + "\"}},"
                        + "{\"entity\":{\"reference\":\"Patient/" + staying + "\"}}]}"));
        Bytes32 pn = server.ctx.getBean(Pseudonyms.class).of("Patient", leaving);
        ErasureRegistry registry = server.ctx.getBean(ErasureRegistry.class);

        HttpResponse<String> refused = erase(custodian, leaving, "shared");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body())
                .contains("OperationOutcome")
                .contains("Group/" + group)
                .contains("Nothing was changed");
        assertThat(registry.find(pn)).isEmpty();
        assertThat(send("GET", custodian, "/Patient/" + leaving, null).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", custodian, "/Group/" + group, null).body()).contains("Patient/" + leaving);

        // the custodian takes the patient out of the group: the erasure goes ahead, the group and its other member stay
        HttpResponse<String> updated = send(
                "PUT",
                custodian,
                "/Group/" + group,
                "{\"resourceType\":\"Group\",\"id\":\""
                        + group
                        + "\",\"type\":\"person\",\"actual\":true,\"member\":[{\"entity\":{\"reference\":\"Patient/"
                        + staying + "\"}}]}");
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        HttpResponse<String> erased = erase(custodian, leaving, "shared");
        assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);
        assertThat(send("GET", custodian, "/Patient/" + leaving, null).statusCode())
                .isEqualTo(410);
        HttpResponse<String> kept = send("GET", custodian, "/Group/" + group, null);
        assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
        assertThat(kept.body()).contains("Patient/" + staying);
        assertThat(send("GET", custodian, "/Patient/" + staying, null).statusCode())
                .isEqualTo(200);
    }

    // ---- scans

    /** The markers found in any row of any table (each row as text: bytea as hex), and in large objects. */
    static List<String> databaseHits() throws Exception {
        List<String> hits = new ArrayList<>();
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("select table_schema, table_name from information_schema.tables where"
                    + " table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')")) {
                while (rs.next()) tables.add("\"" + rs.getString(1) + "\".\"" + rs.getString(2) + "\"");
            }
            assertThat(tables).hasSizeGreaterThan(20);
            tables.add("pg_catalog.pg_largeobject");
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("select t::text from " + t + " t")) {
                    while (rs.next()) {
                        String row = rs.getString(1);
                        for (String m : MARKERS) {
                            if (row.contains(m) || row.contains(hex(m))) hits.add(m);
                        }
                    }
                }
            }
        }
        return hits;
    }

    /** The markers (as UTF-8 hex) in the input of any transaction or the data and topics of any log. */
    static List<String> chainHits(String rpc) throws Exception {
        List<String> hits = new ArrayList<>();
        Web3j web3 = Web3j.build(new HttpService(rpc));
        try {
            long head = web3.ethBlockNumber().send().getBlockNumber().longValueExact();
            StringBuilder all = new StringBuilder();
            for (long b = 0; b <= head; b++) {
                EthBlock.Block block = web3.ethGetBlockByNumber(
                                DefaultBlockParameter.valueOf(BigInteger.valueOf(b)), true)
                        .send()
                        .getBlock();
                for (EthBlock.TransactionResult<?> tr : block.getTransactions()) {
                    all.append(((EthBlock.TransactionObject) tr.get()).getInput())
                            .append('\n');
                }
            }
            EthFilter everything = new EthFilter(
                    DefaultBlockParameter.valueOf(BigInteger.ZERO), DefaultBlockParameterName.LATEST, List.of());
            for (EthLog.LogResult<?> lr : web3.ethGetLogs(everything).send().getLogs()) {
                org.web3j.protocol.core.methods.response.Log log =
                        (org.web3j.protocol.core.methods.response.Log) lr.get();
                all.append(log.getData())
                        .append(String.join("", log.getTopics()))
                        .append('\n');
            }
            assertThat(all.length()).isGreaterThan(1000);
            String text = all.toString().toLowerCase(Locale.ROOT);
            for (String m : MARKERS) if (text.contains(hex(m))) hits.add(m);
        } finally {
            web3.shutdown();
        }
        return hits;
    }

    static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    // ---- helpers

    static boolean anchored(String versionRef) {
        try {
            JsonNode v = verify(auditor, "/" + versionRef);
            return v.toString().contains("inclusionProof");
        } catch (Exception e) {
            return false;
        }
    }

    static JsonNode verify(String token, String ref) throws Exception {
        HttpResponse<String> r = send("GET", token, ref + "/$verify", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static String observation(String patient, String note) {
        return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"vitals\"},\"subject\":"
                + "{\"reference\":\"Patient/" + patient + "\"},\"note\":[{\"text\":\"" + note + "\"}]}";
    }

    static HttpResponse<String> erase(String token, String id, String reason) throws Exception {
        return send(
                "POST",
                token,
                "/Patient/" + id + "/$erase",
                "{\"resourceType\":\"Parameters\",\"parameter\":[" + "{\"name\":\"reason\",\"valueString\":\"" + reason
                        + "\"}]}");
    }

    static HttpResponse<String> send(String method, String token, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/fhir+json")
                .timeout(Duration.ofSeconds(120));
        if (body != null) b.header("Content-Type", "application/fhir+json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String id(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    static String value(JsonNode params, String name) {
        for (JsonNode p : params.path("parameter")) {
            if (p.path("name").asText().equals(name)) {
                JsonNode v = p.path("valueString").isMissingNode() ? p.path("valueCode") : p.path("valueString");
                return v.asText();
            }
        }
        return null;
    }

    static void await(java.util.function.BooleanSupplier condition, String what) {
        PipelineServer.await(condition, Duration.ofSeconds(60), what);
    }

    /** Everything the server prints also goes to the captured log. */
    private static final class Tee extends OutputStream {
        private final OutputStream out;

        Tee(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            out.write(b);
            synchronized (serverLog) {
                serverLog.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
            synchronized (serverLog) {
                serverLog.write(b, off, len);
            }
        }
    }
}
