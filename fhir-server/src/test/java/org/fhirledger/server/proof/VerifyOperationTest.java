package org.fhirledger.server.proof;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.fhirledger.anchor.Anchor;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.StandaloneVerifier;
import org.fhirledger.anchor.VerifyOutput;
import org.fhirledger.anchor.web3j.VerifyCli;
import org.fhirledger.anchor.web3j.Web3jAnchorChain;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.Role;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.HeadlessChromium;
import org.fhirledger.server.testing.TwoChains;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * $verify and $ledger-status end to end: the server (H2) on a private anvil (31337) and a public anvil (31338).
 * The write pipeline puts the record and access entries on the private chain; the tests wait for it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VerifyOperationTest {

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
        data = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "verify-");
        ctx = chains.startServer(data);
        base = "http://localhost:"
                + ((WebServerApplicationContext) ctx).getWebServer().getPort() + "/fhir";
        token = DevTokens.mint(data, Role.CUSTODIAN, null);
    }

    @AfterAll
    static void stop() {
        if (ctx != null) ctx.close();
    }

    /** Creates a patient through the API and waits until the write pipeline put its version 1 on the private chain. */
    static String recordedPatient(String family) throws Exception {
        String id = createPatient(family);
        confirmed("Patient", id);
        return id;
    }

    static void confirmed(String type, String id) throws Exception {
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        Instant deadline = Instant.now().plusSeconds(30);
        while (!"CONFIRMED"
                .equals(jdbc.query(
                        "select state from fl_outbox where res_type = ? and res_id = ? " + "and res_version = 1",
                        rs -> rs.next() ? rs.getString(1) : null,
                        type,
                        id))) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError(type + "/" + id + " never confirmed");
            Thread.sleep(100);
        }
    }

    static String createPatient(String family) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/Patient"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family
                                        + "\"}],\"gender\":\"male\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode params(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static String value(JsonNode params, String name) {
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

    static List<String> values(JsonNode params, String name) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : params.path("parameter")) if (p.path("name").asText().equals(name)) out.add(p.toString());
        return out;
    }

    /** Polls until the answer satisfies the condition (the follower and anchorer run in the background). */
    static JsonNode await(String path, Predicate<JsonNode> until) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        JsonNode last;
        do {
            last = params(path);
            if (until.test(last)) return last;
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("timed out waiting on " + path + ": " + last);
    }

    static AnchorChain publicView(String registry) {
        return Web3jAnchorChain.connect(
                Web3jAnchorChain.Config.readOnly(chains.publicChain().rpcUrl(), TwoChains.PUBLIC_CHAIN_ID, registry),
                null);
    }

    @Test
    void aRecordedVersionIsVerifiedAndTheStandaloneVerifierAgrees() throws Exception {
        String id = recordedPatient("Chalmers");
        JsonNode answer = await("/Patient/" + id + "/_history/1/$verify", a -> "verified".equals(value(a, "status")));
        assertThat(value(answer, "reference")).isEqualTo("Patient/" + id + "/_history/1");
        assertThat(value(answer, "contentHash")).isEqualTo(value(answer, "storedContentHash"));
        assertThat(value(answer, "lane")).isEqualTo("record");
        for (String name : List.of(
                "cid",
                "privateTx",
                "privateBlock",
                "leafIndex",
                "treeSize",
                "rootHash",
                "anchorTx",
                "anchorIndex",
                "anchorRegistry",
                "publicChainId")) {
            assertThat(value(answer, name)).as(name).isNotBlank();
        }
        assertThat(answer.toString()).doesNotContain("Chalmers");
        // the current version's $verify is the same answer
        assertThat(value(params("/Patient/" + id + "/$verify"), "leafIndex")).isEqualTo(value(answer, "leafIndex"));

        byte[] plaintext = get("/Patient/" + id).body().getBytes(StandardCharsets.UTF_8);
        try (AnchorChain chain = publicView(value(answer, "anchorRegistry"))) {
            StandaloneVerifier.Report report = StandaloneVerifier.verify(
                    VerifyOutput.parse(answer.toString().getBytes(StandardCharsets.UTF_8)), plaintext, chain);
            assertThat(report.verified()).as("%s", report).isTrue();
            byte[] other = new String(plaintext, StandardCharsets.UTF_8)
                    .replace("Chalmers", "Chalmerz")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(StandaloneVerifier.verify(
                                    VerifyOutput.parse(answer.toString().getBytes(StandardCharsets.UTF_8)),
                                    other,
                                    chain)
                            .verified())
                    .isFalse();
        }
        Path file = data.resolve("answer.json");
        Files.writeString(file, answer.toString());
        Path resource = data.resolve("resource.json");
        Files.write(resource, plaintext);
        assertThat(VerifyCli.run(new String[] {
                    "--rpc",
                    chains.publicChain().rpcUrl(),
                    "--chain-id",
                    String.valueOf(TwoChains.PUBLIC_CHAIN_ID),
                    "--registry",
                    value(answer, "anchorRegistry"),
                    file.toString(),
                    resource.toString()
                }))
                .isZero();

        JsonNode status = params("/$ledger-status");
        assertThat(value(status, "status")).isEqualTo("ok");
        assertThat(Long.parseLong(value(status, "anchoredSize")))
                .isGreaterThan(Long.parseLong(value(answer, "leafIndex")));
        assertThat(value(status, "anchorRegistry")).isEqualToIgnoringCase(value(answer, "anchorRegistry"));
    }

    @Test
    void verifyingIsAuthorisedAsReadingExceptThatAnAuditorMayVerifyAnything() throws Exception {
        String id = recordedPatient("Authorised");
        String clinician = DevTokens.mint(data, Role.CLINICIAN, "Practitioner/no-consent");
        String auditor = DevTokens.mint(data, Role.AUDITOR, null);
        for (String path : List.of("/Patient/" + id + "/$verify", "/Patient/" + id + "/_history/1/$verify")) {
            assertThat(as(clinician, path).statusCode())
                    .as("a clinician without consent: as if it did not exist " + path)
                    .isEqualTo(404);
            HttpResponse<String> audited = as(auditor, path);
            assertThat(audited.statusCode()).as(audited.body()).isEqualTo(200);
            assertThat(audited.body()).doesNotContain("Authorised"); // hashes and proofs, no clinical data
        }
        assertThat(as(auditor, "/Patient/" + id).statusCode())
                .as("reading is still refused")
                .isEqualTo(404);
        assertThat(as(clinician, "/$ledger-status").statusCode()).isEqualTo(403);
        assertThat(as(auditor, "/$ledger-status").statusCode()).isEqualTo(200);
    }

    static HttpResponse<String> as(String bearer, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + bearer)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aVersionNotOnChainIsPendingNotAnError() throws Exception {
        // asked at once after the write: the pipeline has most likely not put it on chain yet (a fast one may have)
        String id = createPatient("Pending");
        JsonNode answer = params("/Patient/" + id + "/_history/1/$verify");
        assertThat(value(answer, "status")).isIn("pending", "verified");
        if ("pending".equals(value(answer, "status")))
            assertThat(value(answer, "issue")).contains("yet");
        await("/Patient/" + id + "/_history/1/$verify", a -> "verified".equals(value(a, "status")));
    }

    @Test
    void aFreshVersionIsNeverReportedFailedWhileTheFollowerCatchesUp() throws Exception {
        // $verify asked over and over while the writer confirms and the follower indexes: every answer taken in
        // between (the index read before a follower step, the chain and follower position read after it) must
        // be pending or verified, never an alarm
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) ids.add(createPatient("Race" + i));
        for (String id : ids) {
            Instant deadline = Instant.now().plusSeconds(30);
            String status;
            do {
                JsonNode answer = params("/Patient/" + id + "/_history/1/$verify");
                status = value(answer, "status");
                assertThat(status).as("%s", answer).isIn("pending", "verified");
            } while (!"verified".equals(status) && Instant.now().isBefore(deadline));
            assertThat(status).isEqualTo("verified");
        }
    }

    @Test
    void anAuditEventIsVerifiedByItsAccessEntry() throws Exception {
        DaoRegistry daos = ctx.getBean(DaoRegistry.class);
        AuditEvent ae = new AuditEvent();
        ae.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"));
        ae.setRecorded(new java.util.Date());
        ae.getSource().setObserver(new org.hl7.fhir.r4.model.Reference().setDisplay("fhir-ledger"));
        IdType aid = (IdType) daos.getResourceDao("AuditEvent")
                .create(ae, new SystemRequestDetails())
                .getId();
        IBaseResource stored = daos.getResourceDao("AuditEvent").read(aid, new SystemRequestDetails());
        Bytes32 hash = CanonicalResource.contentHash(FhirContext.forR4Cached()
                .newJsonParser()
                .encodeResourceToString(stored)
                .getBytes(StandardCharsets.UTF_8));
        // the write pipeline puts every AuditEvent's hash on the access ledger
        JsonNode answer =
                await("/AuditEvent/" + aid.getIdPart() + "/$verify", a -> "verified".equals(value(a, "status")));
        assertThat(value(answer, "lane")).isEqualTo("access");
        assertThat(value(answer, "auditHash")).isEqualTo(hash.toHex());
        try (AnchorChain chain = publicView(value(answer, "anchorRegistry"))) {
            assertThat(StandaloneVerifier.verify(
                                    VerifyOutput.parse(answer.toString().getBytes(StandardCharsets.UTF_8)), null, chain)
                            .verified())
                    .isTrue();
        }
    }

    @Test
    void aResourceWithSeveralTagsAndSecurityLabelsIsVerifiedAsTheReadCheckDoes() throws Exception {
        // tag and label definitions created in reverse order first, so HAPI's order is not the canonical one
        for (String code : List.of("z", "a")) {
            post(
                    "/Patient",
                    "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"system\":\"urn:order\",\"code\":\"" + code
                            + "\"}],\"security\":[{\"system\":\"urn:order-sec\",\"code\":\"" + code + "\"}]}}");
        }
        String id = post(
                "/Patient",
                "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"system\":\"urn:order\","
                        + "\"code\":\"z\"},{\"system\":\"urn:order\",\"code\":\"a\"}],\"security\":[{\"system\":"
                        + "\"urn:order-sec\",\"code\":\"z\"},{\"system\":\"urn:order-sec\",\"code\":\"a\"}]},"
                        + "\"name\":[{\"family\":\"Ordered\"}]}");
        confirmed("Patient", id);
        assertThat(get("/Patient/" + id).statusCode()).isEqualTo(200);
        JsonNode answer = await("/Patient/" + id + "/_history/1/$verify", a -> !"pending".equals(value(a, "status")));
        assertThat(value(answer, "status")).as(answer.toString()).isEqualTo("verified");
    }

    @Test
    void anAuditEventAlteredInTheDatabaseIsReportedAsAltered() throws Exception {
        DaoRegistry daos = ctx.getBean(DaoRegistry.class);
        AuditEvent ae = new AuditEvent();
        ae.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"));
        ae.setRecorded(new java.util.Date());
        ae.getSource().setObserver(new org.hl7.fhir.r4.model.Reference().setDisplay("fhir-ledger"));
        IdType aid = (IdType) daos.getResourceDao("AuditEvent")
                .create(ae, new SystemRequestDetails())
                .getId();
        await("/AuditEvent/" + aid.getIdPart() + "/$verify", a -> "verified".equals(value(a, "status")));
        int changed = ctx.getBean(JdbcTemplate.class)
                .update(
                        "update HFJ_RES_VER set RES_TEXT_VC = replace(RES_TEXT_VC,"
                                + " 'fhir-ledger', 'fhir-1edger') where RES_ID = (select RES_ID from HFJ_RESOURCE where FHIR_ID = ?"
                                + " and RES_TYPE = 'AuditEvent')",
                        aid.getIdPart());
        assertThat(changed).isEqualTo(1);
        JsonNode answer = params("/AuditEvent/" + aid.getIdPart() + "/$verify");
        assertThat(value(answer, "status")).as(answer.toString()).isEqualTo("failed");
        assertThat(values(answer, "issue").toString()).contains("the stored AuditEvent was altered");
    }

    static String post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    @Test
    void aBodyAlteredInTheDatabaseIsReported() throws Exception {
        String id = recordedPatient("Tampered");
        await("/Patient/" + id + "/_history/1/$verify", a -> "verified".equals(value(a, "status")));
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        int changed = jdbc.update(
                "update HFJ_RES_VER set RES_TEXT_VC = replace(RES_TEXT_VC, 'Tampered', 'Tampared') "
                        + "where RES_ID = (select RES_ID from HFJ_RESOURCE where FHIR_ID = ?)",
                id);
        assertThat(changed).isEqualTo(1);
        JsonNode answer = params("/Patient/" + id + "/_history/1/$verify");
        assertThat(value(answer, "status")).isEqualTo("failed");
        assertThat(values(answer, "issue").toString()).contains("the stored body was altered");
        assertThat(value(answer, "storedContentHash")).isNotEqualTo(value(answer, "contentHash"));
    }

    /**
     * Last: the removed index entry leaves the log one entry short, so the follower stops at the next record entry
     * (as it should), and a later test's records would never be anchored.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void anIndexEntryAlteredOrRemovedIsReported() throws Exception {
        String altered = recordedPatient("IndexAltered");
        String removed = recordedPatient("IndexRemoved");
        await("/Patient/" + removed + "/_history/1/$verify", a -> "verified".equals(value(a, "status")));
        Pseudonyms p = ctx.getBean(Pseudonyms.class);
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        assertThat(jdbc.update(
                        "update fl_ledger_leaf set cid = '00' where resource = ? and lane = 'record'",
                        p.of("Patient/" + altered).toHex()))
                .isEqualTo(1);
        JsonNode a = params("/Patient/" + altered + "/_history/1/$verify");
        assertThat(value(a, "status")).isEqualTo("failed");
        assertThat(values(a, "issue").toString()).contains("does not match leaf");

        assertThat(jdbc.update(
                        "delete from fl_ledger_leaf where resource = ? and lane = 'record'",
                        p.of("Patient/" + removed).toHex()))
                .isEqualTo(1);
        JsonNode r = params("/Patient/" + removed + "/_history/1/$verify");
        assertThat(value(r, "status")).isEqualTo("failed");
        assertThat(values(r, "issue").toString()).contains("the local log index has no entry for it");
    }

    @Test
    void thePublicChainDownDelaysAnchoringOnly() throws Exception {
        chains.publicChain().stop();
        String id;
        try {
            id = recordedPatient("WhileDown");
            await("/$ledger-status", s -> value(s, "publicChainError") != null);
            JsonNode pending = params("/Patient/" + id + "/_history/1/$verify");
            assertThat(value(pending, "status")).isEqualTo("pending");
            assertThat(get("/Patient/" + id).statusCode()).isEqualTo(200);
        } finally {
            chains.publicChain().start();
        }
        await("/Patient/" + id + "/_history/1/$verify", a -> "verified".equals(value(a, "status")));
        assertThat(value(params("/$ledger-status"), "status")).isEqualTo("ok");
    }

    /**
     * The console in a real headless Chromium, signed in as a compliance officer, on a server that anchors on a
     * public-chain anvil: an access entry (the AuditEvent of a read) found in the audit trail, its proof checked
     * there, then drawn from the entry's leaf through each sibling to the anchored root and the public-chain
     * transaction, as $verify answered it, with the browser's own check of the path. An access entry altered in the
     * database shows the failed check and the API's reasons; an unknown entry shows the API's refusal. Neither shows
     * a proof that holds, nor a blank page.
     */
    @Test
    void theConsoleDrawsAnAccessEntrysProofUpToThePublicChainAndShowsFailures() throws Exception {
        String auditor = DevTokens.mint(data, Role.AUDITOR, null);
        String read = recordedPatient("Drawn");
        String altered = recordedPatient("Redrawn");
        // each read is an access entry on the access ledger
        assertThat(get("/Patient/" + read).statusCode()).isEqualTo(200);
        assertThat(get("/Patient/" + altered).statusCode()).isEqualTo(200);
        String entry = accessEntryOf(auditor, read);
        String tamperedEntry = accessEntryOf(auditor, altered);
        JsonNode answer = await("/AuditEvent/" + entry + "/$verify", a -> "verified".equals(value(a, "status")));
        await("/AuditEvent/" + tamperedEntry + "/$verify", a -> "verified".equals(value(a, "status")));
        assertThat(value(answer, "lane")).isEqualTo("access");

        Duration wait = Duration.ofSeconds(20);
        WebDriver browser = HeadlessChromium.start("the console's proof page test", wait);
        try {
            WebDriverWait until = new WebDriverWait(browser, wait);
            String console = base.replace("localhost", "127.0.0.1").replaceFirst("/fhir$", "/");
            HeadlessChromium.signIn(browser, console, "AUDITOR", null, wait);

            // the audit trail: the patient's access entries, this one's proof checked in place
            WebElement form = until.until(ExpectedConditions.visibilityOfElementLocated(By.id("audit-form")));
            form.findElement(By.name("patient")).sendKeys("Patient/" + read);
            form.findElement(By.cssSelector("button[type=submit]")).click();
            By check =
                    By.cssSelector("#audit-results button[aria-label='Check the proof of AuditEvent/" + entry + "']");
            until.until(ExpectedConditions.elementToBeClickable(check)).click();
            until.until(ExpectedConditions.textToBePresentInElementLocated(
                    By.id("audit-results"), "anchored on the public chain"));
            until.until(ExpectedConditions.elementToBeClickable(
                            By.cssSelector("#audit-results a[href='#/proof/AuditEvent/" + entry + "']")))
                    .click();

            // the proof drawn: leaf, siblings in order, anchored root, both chains' transactions
            until.until(ExpectedConditions.textToBePresentInElementLocated(
                    By.id("proof-status"), "anchored on the public chain"));
            assertThat(browser.findElement(By.id("proof-browser-check")).getText())
                    .contains("the path leads from the entry's leaf to the anchored root");
            // the entry's leaf as the API says; the root, tree size and transaction of the anchor drawn as the
            // public chain holds them (anchoring goes on meanwhile: the page may show a newer anchor than the
            // answer above), and the siblings drawn, in order, lead from that leaf to that root
            Bytes32 leaf =
                    Bytes32.fromHex(browser.findElement(By.id("proof-leaf")).getText());
            assertThat(leaf.toHex()).isEqualToIgnoringCase(value(answer, "leafHash"));
            long leafIndex = Long.parseLong(
                    browser.findElement(By.id("proof-leaf-index")).getText());
            assertThat(leafIndex).isEqualTo(Long.parseLong(value(answer, "leafIndex")));
            long anchorIndex = Long.parseLong(
                    browser.findElement(By.id("proof-anchor-index")).getText());
            List<Bytes32> drawn = browser.findElements(By.cssSelector("ol.proof > li")).stream()
                    .map(WebElement::getText)
                    .filter(t -> t.startsWith("Sibling"))
                    .map(t -> Bytes32.fromHex(t.substring(t.lastIndexOf(' ') + 1)))
                    .toList();
            try (AnchorChain chain = publicView(value(answer, "anchorRegistry"))) {
                Anchor anchor = chain.anchorAt(anchorIndex);
                assertThat(browser.findElement(By.id("proof-root")).getText())
                        .isEqualToIgnoringCase(anchor.root().toHex());
                assertThat(Long.parseLong(
                                browser.findElement(By.id("proof-tree-size")).getText()))
                        .isEqualTo(anchor.treeSize());
                assertThat(browser.findElement(By.id("anchor-tx")).getText())
                        .isEqualToIgnoringCase(
                                chain.receiptOf(anchorIndex).orElseThrow().txHash());
                ProofVerifier.verifyInclusion(leaf, leafIndex, anchor.treeSize(), drawn, anchor.root());
            }
            assertThat(browser.findElement(By.tagName("main")).getText())
                    .contains(
                            "The access entry",
                            value(answer, "auditHash"),
                            value(answer, "privateTx"),
                            value(answer, "anchorRegistry"));
            HeadlessChromium.screenshot(browser, "compliance-proof");

            // the stored access entry altered: $verify says failed and why, and so does the page
            assertThat(ctx.getBean(JdbcTemplate.class)
                            .update(
                                    "update HFJ_RES_VER set RES_TEXT_VC = replace(RES_TEXT_VC, 'Patient/" + altered
                                            + "', 'Patient/" + altered + "9') where RES_ID = (select RES_ID from"
                                            + " HFJ_RESOURCE where FHIR_ID = ? and RES_TYPE = 'AuditEvent')",
                                    tamperedEntry))
                    .isEqualTo(1);
            JsonNode failed = params("/AuditEvent/" + tamperedEntry + "/$verify");
            assertThat(value(failed, "status")).as(failed.toString()).isEqualTo("failed");
            List<String> issues = new ArrayList<>();
            for (JsonNode p : failed.path("parameter"))
                if (p.path("name").asText().equals("issue"))
                    issues.add(p.path("valueString").asText());
            assertThat(issues).anyMatch(i -> i.contains("the stored AuditEvent was altered"));
            browser.get(console + "#/verify/AuditEvent/" + tamperedEntry);
            until.until(ExpectedConditions.textToBePresentInElementLocated(By.id("proof-status"), "failed"));
            assertThat(browser.findElement(By.id("proof-issues")).getText()).contains(issues);
            assertThat(browser.findElement(By.id("proof-status")).getText())
                    .doesNotContain("anchored on the public chain");
            HeadlessChromium.screenshot(browser, "compliance-proof-failed");

            // an entry that does not exist: the API's refusal, word for word, and no proof
            HttpResponse<String> unknown = get("/AuditEvent/no-such-entry/$verify");
            assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
            browser.get(console + "#/verify/AuditEvent/no-such-entry");
            until.until(ExpectedConditions.textToBePresentInElementLocated(
                    By.cssSelector("main .error"),
                    "Refused or failed (404): "
                            + JSON.readTree(unknown.body())
                                    .path("issue")
                                    .path(0)
                                    .path("diagnostics")
                                    .asText()));
            assertThat(browser.findElements(By.id("proof-status"))).isEmpty();
        } finally {
            browser.quit();
        }
    }

    /** The newest access entry (AuditEvent) about a patient, once the server recorded one. */
    static String accessEntryOf(String auditor, String patient) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + "/AuditEvent?entity=Patient/" + patient + "&_sort=-date"))
                            .header("Authorization", "Bearer " + auditor)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode first = JSON.readTree(r.body()).path("entry").path(0).path("resource");
            if (!first.isMissingNode()) return first.path("id").asText();
            if (Instant.now().isAfter(deadline)) throw new AssertionError("no access entry about Patient/" + patient);
            Thread.sleep(100);
        }
    }
}
