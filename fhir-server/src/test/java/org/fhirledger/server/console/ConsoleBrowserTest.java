package org.fhirledger.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.fhirledger.ledger.Role;
import org.fhirledger.merkle.InclusionProof;
import org.fhirledger.merkle.MerkleLog;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.HeadlessChromium;
import org.fhirledger.server.testing.SharedChain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.test.context.ContextConfiguration;

/**
 * The web console in a real headless Chromium (Debian's chromium and chromium-driver), signing in through the
 * embedded authorisation server's real login page with PKCE, then using the FHIR API as each person: what the
 * pages show is what the API answered, refusals included. Shares its server with the other H2 API tests.
 */
@ContextConfiguration(initializers = H2FileInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest extends ServerTestBase {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final String HOSPITAL = "Console General Hospital";

    WebDriver browser;
    String console;
    String patient;
    String report;
    String strangerPatient;
    String other;
    String institution;

    /** On failure, what the page said (the API's refusals are on it). */
    @RegisterExtension
    final TestWatcher pageOnFailure = HeadlessChromium.pageOnFailure(() -> browser);

    @BeforeAll
    void browserAndStory() {
        browser = HeadlessChromium.start("the console's browser tests", WAIT);
        // 127.0.0.1: a loopback redirect URI, which the console's client may use on any port
        console = baseUrl().replace("localhost", "127.0.0.1").replaceFirst("/fhir$", "/");

        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        for (String id : List.of("console-dr", "console-other")) {
            assertThat(put(
                                    admin,
                                    "/Practitioner/" + id,
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"" + id + "\",\"name\":[{\"family\":\""
                                            + id + "\"}]}")
                            .statusCode())
                    .isIn(200, 201);
        }
        // where console-dr works, as the directory says (PractitionerRole → organization)
        assertThat(put(
                                admin,
                                "/PractitionerRole/console-dr",
                                "{\"resourceType\":\"PractitionerRole\",\"id\":\"console-dr\",\"active\":true,"
                                        + "\"practitioner\":{\"reference\":\"Practitioner/console-dr\"},"
                                        + "\"organization\":{\"display\":\"" + HOSPITAL + "\"}}")
                        .statusCode())
                .isIn(200, 201);
        // this server's institution, as the consortium's directory names it
        for (JsonNode member : body(get(admin, "/$institutions")).path("parameter")) {
            String organization = null;
            boolean self = false;
            for (JsonNode part : member.path("part")) {
                if (part.path("name").asText().equals("organization"))
                    organization = part.path("valueString").asText();
                if (part.path("name").asText().equals("self"))
                    self = part.path("valueBoolean").asBoolean();
            }
            if (self) institution = organization;
        }
        assertThat(institution).as("$institutions names this server").isNotBlank();
        String dr = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/console-dr");
        patient = created(post(
                dr,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Consolata\",\"given\":[\"Ada\"]}],"
                        + "\"birthDate\":\"1980-02-03\"}"));
        report = created(post(
                dr,
                "/DiagnosticReport",
                "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                        + "\"http://loinc.org\",\"code\":\"2345-7\",\"display\":\"Glucose\"}]},\"subject\":"
                        + "{\"reference\":\"Patient/" + patient + "\"},\"effectiveDateTime\":\"2025-01-15\","
                        + "\"conclusion\":\"Within normal limits\"}"));
        // the registering clinician reads the report: the patient's timeline shows it
        assertThat(get(dr, "/DiagnosticReport/" + report).statusCode()).isEqualTo(200);
        // the clinician the patient will grant access to holds a ledger account (a Consent may only name such)
        other = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/console-other");
        strangerPatient =
                created(post(dr, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Elsewhere\"}]}"));
        // a refusal for the compliance officer to find
        assertThat(get(other, "/Patient/" + strangerPatient).statusCode()).isEqualTo(404);
    }

    @AfterEach
    void noScriptErrors() {
        if (browser == null) return;
        List<String> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
        severe.forEach(m -> System.out.println("browser: " + m));
        assertThat(severe)
                .as("scripts the page failed to run or load")
                .noneMatch(m -> m.contains("Uncaught") || m.contains("Failed to load module"));
    }

    @AfterAll
    void closeBrowser() {
        if (browser != null) browser.quit();
    }

    @Test
    void aPatientSeesTheirRecordAndWhoReadItThenGrantsAndRevokesAClinician() {
        signIn("PATIENT", "Patient/" + patient);
        assertThat(text(By.id("patient-name"))).contains("Consolata");
        screenshot("patient-home");
        assertThat(browser.findElement(By.id("signed-in-as")).getText()).contains("Patient/" + patient);

        go("#/records");
        waitForText(By.tagName("main"), "Within normal limits");
        screenshot("patient-records");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("Glucose");

        go("#/access");
        WebElement timeline = waitFor(By.id("access-timeline"));
        waitUntil(() -> timeline.getText().contains("Practitioner/console-dr")
                && timeline.getText().contains("read DiagnosticReport/" + report));
        screenshot("patient-access");
        // who, their role and where they work (the directory), and the institution whose server recorded it
        assertThat(timeline.getText()).contains("Practitioner/console-dr (CLINICIAN), " + HOSPITAL);
        assertThat(text(By.id("recorded-by"))).contains(institution);
        assertAccessible("the patient's timeline");

        go("#/consents");
        waitForText(By.id("consent-list"), "console-dr"); // the registering clinician's consent
        WebElement practitioner =
                waitFor(By.cssSelector("#grant-practitioner option[value='Practitioner/console-other']"));
        new Select(browser.findElement(By.id("grant-practitioner"))).selectByValue(practitioner.getAttribute("value"));
        browser.findElement(By.cssSelector("#grant-form input[value='DiagnosticReport']"))
                .click();
        browser.findElement(By.cssSelector("#grant-form button[type=submit]")).click();
        waitForText(By.id("consent-list"), "Granted: Practitioner/console-other");
        screenshot("patient-consents");
        assertThat(rowOf("Practitioner/console-other").getText())
                .contains("DiagnosticReport")
                .contains("read");
        // the choice of clinicians says where each works
        assertThat(browser.findElement(By.cssSelector("#grant-practitioner option[value='Practitioner/console-dr']"))
                        .getText())
                .contains(HOSPITAL);
        assertAccessible("the patient's consents");
        assertKeyboardReachable("the patient's consents");

        eventually(() -> get(other, "/DiagnosticReport/" + report).statusCode() == 200);

        rowOf("Practitioner/console-other").findElement(By.tagName("button")).click();
        waitForText(By.id("consent-list"), "Revoked: Practitioner/console-other");
        waitUntil(() ->
                browser.findElements(rowXpath("Practitioner/console-other")).isEmpty());
        eventually(() -> get(other, "/DiagnosticReport/" + report).statusCode() == 404);

        // the refusal is the patient's to see as well
        go("#/records");
        go("#/access");
        WebElement after = waitFor(By.id("access-timeline"));
        waitUntil(() -> after.getText().contains("Practitioner/console-other")
                && after.getText().contains("refused"));
    }

    @Test
    void anAdminKeepsTheDirectory() {
        signIn("ADMIN", null);
        WebElement list = waitFor(By.id("directory-list"));
        waitUntil(() -> list.getText().contains("Practitioner/console-dr"));
        assertThat(directoryRow("Practitioner/console-dr").getText()).contains(HOSPITAL);
        assertAccessible("the admin's directory");
        assertKeyboardReachable("the admin's directory");

        // searched by name: that practitioner only
        browser.findElement(By.id("directory-name")).sendKeys("console-other");
        browser.findElement(By.cssSelector("#directory-search button[type=submit]"))
                .click();
        waitUntil(() -> list.getText().contains("matching \"console-other\"")
                && list.getText().contains("Practitioner/console-other")
                && !list.getText().contains("Practitioner/console-dr"));

        // a new practitioner and where they work: in the directory, and so in the API
        String id = "console-new-" + Instant.now().toEpochMilli();
        WebElement form = browser.findElement(By.id("practitioner-form"));
        form.findElement(By.name("id")).sendKeys(id);
        form.findElement(By.name("family")).sendKeys("Newcomer");
        form.findElement(By.name("licence")).sendKeys("LIC-" + id);
        form.findElement(By.name("institution")).sendKeys("Console Clinic");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitForText(By.tagName("main"), "Saved Practitioner/" + id);
        waitUntil(() -> list.getText().contains("Practitioner/" + id));
        assertThat(directoryRow("Practitioner/" + id).getText()).contains("Newcomer", "LIC-" + id, "Console Clinic");
        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(body(get(admin, "/PractitionerRole/" + id))
                        .path("organization")
                        .path("display")
                        .asText())
                .isEqualTo("Console Clinic");
    }

    @Test
    void anAdminAssignsAndRevokesARoleAndSeesEachTransactionOnChain() throws Exception {
        signIn("ADMIN", null);
        go("#/roles");
        String account = "0x" + String.format("%040x", Instant.now().toEpochMilli());
        waitFor(By.id("assign-account")).sendKeys(account);
        new Select(browser.findElement(By.cssSelector("#assign-form select[name=role]"))).selectByValue("AUDITOR");
        browser.findElement(By.id("assign-fhir-user"))
                .sendKeys("Practitioner/console-auditor-" + account.substring(30));
        browser.findElement(By.cssSelector("#assign-form button[type=submit]")).click();
        String tx = text(By.id("role-tx"));
        assertThat(tx).matches("0x[0-9a-f]{64}");
        screenshot("admin-roles");
        assertThat(browser.findElement(By.id("role-result")).getText())
                .containsIgnoringCase(account)
                .contains("AUDITOR");
        assertThat(minedSuccessfully(tx))
                .as("the assignment's transaction is mined")
                .isTrue();
        assertAccessible("the admin's roles");

        // the same account again: the contract refuses, and the page says so
        browser.findElement(By.cssSelector("#assign-form button[type=submit]")).click();
        assertThat(text(By.cssSelector("#assign-form + div .error"))).contains("409");

        // revoked: the transaction shown is mined; revoked again, the refusal is shown as the API answered it
        browser.findElement(By.id("revoke-account")).sendKeys(account);
        new Select(browser.findElement(By.cssSelector("#revoke-form select[name=role]"))).selectByValue("AUDITOR");
        browser.findElement(By.cssSelector("#revoke-form button[type=submit]")).click();
        String revoked = text(By.id("revoke-tx"));
        assertThat(revoked).matches("0x[0-9a-f]{64}").isNotEqualTo(tx);
        assertThat(text(By.id("revoke-result"))).containsIgnoringCase(account).contains("AUDITOR");
        assertThat(minedSuccessfully(revoked))
                .as("the revocation's transaction is mined")
                .isTrue();
        HttpResponse<String> again = post(
                DevTokens.mint(dataDir(), Role.ADMIN, null),
                "/$revoke-role",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":\"" + account
                        + "\"},{\"name\":\"role\",\"valueString\":\"AUDITOR\"}]}");
        assertThat(again.statusCode()).as(again.body()).isIn(403, 409);
        browser.findElement(By.cssSelector("#revoke-form button[type=submit]")).click();
        waitForText(
                By.cssSelector("#revoke-form + div .error"),
                "Refused or failed (" + again.statusCode() + "): "
                        + body(again).path("issue").path(0).path("diagnostics").asText());
    }

    /** A clinician opening the admin's roles page by its address is told it is not theirs; the server refuses too. */
    @Test
    void aNonAdminOpeningTheAdminPageIsRefusedNotShownABlank() {
        signIn("CLINICIAN", "Practitioner/console-dr");
        waitForText(By.tagName("main"), "My patients");
        go("#/roles");
        assertThat(text(By.id("not-your-page")))
                .contains("Refused", "#/roles is a page for ADMIN", "you are signed in as CLINICIAN");
        assertThat(browser.findElements(By.id("assign-form"))).isEmpty();
        assertThat(browser.findElement(By.id("nav")).getText()).doesNotContain("Roles");
        assertAccessible("the refusal of the admin's page");
        // what the page would have asked is refused by the API as well
        HttpResponse<String> assign = post(
                DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/console-dr"),
                "/$assign-role",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"account\",\"valueString\":"
                        + "\"0x00000000000000000000000000000000000000aa\"},{\"name\":\"role\",\"valueString\":"
                        + "\"ADMIN\"}]}");
        assertThat(assign.statusCode()).as(assign.body()).isEqualTo(403);
        // and the refusal is not sticky: the clinician's own pages still open
        go("#/directory");
        waitForText(By.id("directory-list"), "Practitioner/console-dr");
    }

    /** The private chain's receipt of a transaction says it succeeded. */
    boolean minedSuccessfully(String tx) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(SharedChain.anvil().rpcUrl()))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getTransactionReceipt\","
                                                + "\"params\":[\"" + tx + "\"]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return "0x1".equals(body(r).path("result").path("status").asText());
    }

    WebElement directoryRow(String text) {
        return waitFor(By.xpath("//div[@id='directory-list']//tr[td[contains(., '" + text + "')]]"));
    }

    @Test
    void aClinicianWithoutConsentIsShownTheRefusalNotThePatient() {
        signIn("CLINICIAN", "Practitioner/console-other");
        waitForText(By.tagName("main"), "My patients");
        go("#/patient/" + strangerPatient);
        // the API's own answers, each where it belongs: the patient "not known", the records not consented
        waitForText(By.tagName("main"), "Refused or failed (404): HAPI-2001: Resource Patient/" + strangerPatient);
        waitForText(By.tagName("main"), "Refused or failed (403): Access denied: no active consent");
        screenshot("clinician-refused");
        assertThat(browser.findElements(By.id("patient-name"))).isEmpty();
        assertThat(browser.findElement(By.tagName("main")).getText()).doesNotContain("Elsewhere");

        // in an emergency: break-glass with a reason opens the record, audited, and a note can be written
        WebElement glass = browser.findElement(By.id("break-glass-form"));
        glass.findElement(By.name("reason")).sendKeys("unconscious in the emergency room");
        glass.findElement(By.name("understood")).click();
        glass.findElement(By.cssSelector("button[type=submit]")).click();
        waitForText(By.id("patient-name"), "Elsewhere");
        WebElement note = browser.findElement(By.id("note-form"));
        note.findElement(By.name("text")).sendKeys("Seen under break-glass");
        note.findElement(By.cssSelector("button[type=submit]")).click();
        waitForText(By.tagName("main"), "Saved as Observation/");
        waitForText(By.tagName("main"), "Seen under break-glass");
        assertAccessible("a clinician's patient page");
    }

    @Test
    void aClinicianRegistersAPatientAndFilesAReport() {
        signIn("CLINICIAN", "Practitioner/console-dr");
        WebElement register = waitFor(By.id("register-form"));
        register.findElement(By.name("family")).sendKeys("Registered");
        register.findElement(By.name("given")).sendKeys("Rita");
        register.findElement(By.name("mrn")).sendKeys("MRN-" + Instant.now().toEpochMilli());
        register.findElement(By.cssSelector("button[type=submit]")).click();
        waitFor(By.id("registered")).click();
        waitForText(By.id("patient-name"), "Rita Registered");
        String id = browser.getCurrentUrl().replaceFirst(".*#/patient/", "");

        WebElement note = browser.findElement(By.id("note-form"));
        new Select(note.findElement(By.name("kind"))).selectByValue("report");
        note.findElement(By.name("title")).sendKeys("Chest X-ray");
        note.findElement(By.name("text")).sendKeys("No abnormality seen");
        note.findElement(By.cssSelector("button[type=submit]")).click();
        waitForText(By.tagName("main"), "Saved as DiagnosticReport/");
        waitForText(By.tagName("main"), "No abnormality seen");
        // the API holds what the page said: the report, about this patient, by this clinician
        String dr = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/console-dr");
        JsonNode found = body(get(dr, "/DiagnosticReport?patient=" + id));
        assertThat(found.path("entry")).hasSize(1);
        assertThat(found.path("entry")
                        .path(0)
                        .path("resource")
                        .path("conclusion")
                        .asText())
                .isEqualTo("No abnormality seen");
        assertThat(found.path("entry")
                        .path(0)
                        .path("resource")
                        .path("code")
                        .path("text")
                        .asText())
                .isEqualTo("Chest X-ray");
    }

    @Test
    void aComplianceOfficerFindsAClinicianRefusalAndSeesItPlotted() {
        signIn("AUDITOR", null);
        WebElement form = waitFor(By.id("audit-form"));
        form.findElement(By.name("agent")).sendKeys("Practitioner/console-other");
        new Select(form.findElement(By.name("outcome"))).selectByValue("4");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        // the search's answer replaces the first page's (all events): only refusals, this one among them
        waitUntil(() -> {
            String found = browser.findElement(By.id("audit-results")).getText();
            return found.contains("Patient/" + strangerPatient)
                    && found.contains("refused")
                    && !found.contains("allowed");
        });
        waitFor(By.cssSelector("#audit-chart canvas"));
        screenshot("compliance-audit");
        assertAccessible("the audit trail");
        // who, their role and where they work: the registering clinician's events name the hospital
        form.findElement(By.name("agent")).clear();
        form.findElement(By.name("agent")).sendKeys("Practitioner/console-dr");
        new Select(form.findElement(By.name("outcome"))).selectByValue("");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUntil(() -> {
            String found = browser.findElement(By.id("audit-results")).getText();
            return found.contains("Practitioner/console-dr") && !found.contains("Practitioner/console-other");
        });
        assertThat(browser.findElement(By.id("audit-results")).getText()).contains("CLINICIAN " + HOSPITAL);

        // a proof asked of a server that anchors nothing: the page shows the API's answer, not a proof
        HttpResponse<String> verify =
                get(DevTokens.mint(dataDir(), Role.AUDITOR, null), "/DiagnosticReport/" + report + "/$verify");
        assertThat(verify.statusCode()).as(verify.body()).isBetween(400, 499);
        go("#/verify/DiagnosticReport/" + report);
        waitForText(
                By.tagName("main"),
                "Refused or failed (" + verify.statusCode() + "): "
                        + body(verify).path("issue").path(0).path("diagnostics").asText());
        assertThat(browser.findElements(By.id("proof-status"))).isEmpty();

        go("#/ledger");
        waitFor(By.tagName("main"));
        // this test server follows no public chain: the page says what the API answered, whatever it was
        new WebDriverWait(browser, WAIT)
                .until(d -> !d.findElements(By.id("ledger-status")).isEmpty()
                        || !d.findElements(By.cssSelector("main .error")).isEmpty());
    }

    /**
     * At a phone's width (375 px) the main pages of each role are one column: the menu and the content fit, nothing
     * scrolls sideways, and every control is on the screen and big enough to touch.
     */
    @Test
    void onAPhoneThePagesFitTheScreen() {
        browser.manage().window().setSize(new Dimension(375, 812));
        try {
            signIn("PATIENT", "Patient/" + patient);
            for (String page : List.of("#/", "#/records", "#/access", "#/consents")) {
                phonePage(page, "the patient's");
            }
            screenshot("patient-phone");
            signIn("CLINICIAN", "Practitioner/console-dr");
            for (String page : List.of("#/", "#/patient/" + patient, "#/directory")) {
                phonePage(page, "the clinician's");
            }
            signIn("AUDITOR", null);
            waitFor(By.cssSelector("#audit-results table"));
            phonePage("#/", "the compliance officer's");
            phonePage("#/verify", "the compliance officer's");
            signIn("ADMIN", null);
            for (String page : List.of("#/", "#/roles")) {
                phonePage(page, "the admin's");
            }
        } finally {
            browser.manage().window().setSize(new Dimension(1200, 900));
        }
    }

    void phonePage(String page, String whose) {
        go(page);
        WebElement main = waitFor(By.tagName("main"));
        waitUntil(() -> !main.getText().contains("Loading…"));
        String name = whose + " " + page + " at 375 px";
        assertThat(browser.findElement(By.id("nav")).getSize().getWidth())
                .as("the menu on %s", name)
                .isLessThanOrEqualTo(375);
        assertAccessible(name);
        @SuppressWarnings("unchecked")
        List<String> unusable = (List<String>) ((JavascriptExecutor) browser)
                .executeScript("const width = document.documentElement.clientWidth; const out = [];"
                        + "for (const el of document.querySelectorAll('button, input, select, textarea, nav a')) {"
                        + "  const box = (['checkbox', 'radio'].includes(el.type) && el.closest('label')) || el;"
                        + "  const r = box.getBoundingClientRect();"
                        + "  if (r.width === 0 || r.height === 0) continue;"
                        + "  if (r.left < 0 || r.right > width + 1 || r.height < 24)"
                        + "    out.push(el.tagName + ' ' + (el.id || el.name || el.textContent.trim().slice(0, 30))"
                        + "      + ': ' + Math.round(r.left) + '..' + Math.round(r.right) + ' x ' + Math.round(r.height));"
                        + "}"
                        + "return out;");
        assertThat(unusable)
                .as("controls of %s off the screen or under 24 px high", name)
                .isEmpty();
    }

    /** The console's files are public, from this origin only, revalidated; nothing else became public with them. */
    @Test
    void theConsoleIsServedWithItsPolicyAndOpensNothingElse() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("", "app/main.js", "vendor/fhir-client.pure.min.js", "vendor/uPlot.esm.js")) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(console + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy"))
                    .as(path)
                    .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'self'", "script-src 'self'"));
            assertThat(r.headers().firstValue("Cache-Control")).as(path).hasValue("no-cache");
        }
        for (String path : List.of("fhir/Patient", "actuator/env")) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(console + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isIn(401, 404);
        }
    }

    /** The proof page checks $verify's inclusion path itself: it must agree with the server's Merkle log. */
    @Test
    void theBrowsersProofCheckAgreesWithTheServersMerkleLog() {
        MerkleLog log = MerkleLog.inMemory();
        for (int i = 0; i < 7; i++) log.appendEntry(("entry " + i).getBytes(StandardCharsets.UTF_8));
        browser.get(console);
        waitFor(By.tagName("main"));
        for (long size : new long[] {1, 5, 7}) {
            String root = log.rootAt(size).toHex();
            for (long leaf = 0; leaf < size; leaf++) {
                InclusionProof proof = log.inclusionProof(leaf, size);
                List<String> path = proof.hashes().stream().map(h -> h.toHex()).toList();
                String leafHash = log.leafHash(leaf).toHex();
                assertThat(inclusionHolds(leaf, size, leafHash, path, root))
                        .as("leaf %d of %d", leaf, size)
                        .isTrue();
                // another leaf's hash, or a root of another size, does not verify
                String otherLeaf = log.leafHash((leaf + 1) % 7).toHex();
                assertThat(inclusionHolds(leaf, size, otherLeaf, path, root)).isFalse();
                assertThat(inclusionHolds(
                                leaf, size, leafHash, path, log.rootAt(6).toHex()))
                        .isFalse();
            }
        }
    }

    boolean inclusionHolds(long leaf, long size, String leafHash, List<String> path, String root) {
        Object answer = ((JavascriptExecutor) browser)
                .executeAsyncScript(
                        "const done = arguments[arguments.length - 1];"
                                + "import('/app/proof.js').then(m => m.inclusionHolds(arguments[0], arguments[1],"
                                + " arguments[2], arguments[3], arguments[4])).then(done, e => done('error: ' + e));",
                        String.valueOf(leaf),
                        String.valueOf(size),
                        leafHash,
                        path,
                        root);
        assertThat(answer).as("the page's proof check ran").isInstanceOf(Boolean.class);
        return (Boolean) answer;
    }

    // ---- accessibility and phone width

    /** The page's accessibility basics (labels, names, tab order, contrast, no sideways scroll): no problem found. */
    void assertAccessible(String page) {
        String check;
        try (var in = getClass().getResourceAsStream("/console/accessibility-check.js")) {
            check = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Object problems = ((JavascriptExecutor) browser).executeScript(check);
        assertThat((List<?>) problems).as("accessibility of %s", page).isEmpty();
    }

    /**
     * Every action of the page (links, buttons, fields; one radio per group) is reached with the Tab key alone, from
     * the skip link on, and each shows a visible focus ring when reached.
     */
    void assertKeyboardReachable(String page) {
        JavascriptExecutor js = (JavascriptExecutor) browser;
        long actions = (Long) js.executeScript("let i = 0;"
                + "for (const el of document.querySelectorAll('a[href], button, input, select, textarea')) {"
                + "  const r = el.getBoundingClientRect();"
                + "  if (el.disabled || r.width === 0 || r.height === 0) continue;"
                + "  if (el.type === 'radio') {"
                + "    const group = [...document.querySelectorAll('input[type=radio]')].filter(x => x.name === el.name);"
                + "    if (el !== (group.find(x => x.checked) || group[0])) continue;"
                + "  }"
                + "  el.dataset.action = String(i++);"
                + "}"
                + "document.querySelector('a.skip').focus();"
                + "return i;");
        java.util.Set<String> reached = new java.util.TreeSet<>();
        List<String> unringed = new java.util.ArrayList<>();
        for (int i = 0; i < actions + 6; i++) { // a date field takes a Tab per part
            @SuppressWarnings("unchecked")
            List<Object> focused = (List<Object>) js.executeScript("const el = document.activeElement;"
                    // a ring on the field, or on its label around it (a date field's parts take the focus)
                    + "const ringed = (e) => { const s = e && getComputedStyle(e);"
                    + "  return !!s && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; };"
                    + "return [el.dataset.action || '', ringed(el) || ringed(el.closest('label')),"
                    + " el.tagName + ' ' + (el.id || el.name || el.textContent.trim().slice(0, 30))];");
            if (!String.valueOf(focused.get(0)).isEmpty()) {
                reached.add(String.valueOf(focused.get(0)));
                // the skip link was focused by script: rings are checked from the first Tab on
                if (i > 0 && !(Boolean) focused.get(1)) unringed.add(String.valueOf(focused.get(2)));
            }
            new org.openqa.selenium.interactions.Actions(browser)
                    .sendKeys(org.openqa.selenium.Keys.TAB)
                    .perform();
        }
        List<String> missed = new java.util.ArrayList<>();
        for (long i = 0; i < actions; i++) if (!reached.contains(String.valueOf(i))) missed.add(describeAction(i));
        assertThat(missed).as("actions of %s not reached with Tab", page).isEmpty();
        assertThat(unringed)
                .as("actions of %s without a visible focus ring", page)
                .isEmpty();
    }

    String describeAction(long i) {
        return String.valueOf(((JavascriptExecutor) browser)
                .executeScript(
                        "const el = document.querySelector(`[data-action=\"${arguments[0]}\"]`);"
                                + "return el.tagName + ' ' + (el.id || el.name || el.textContent.trim().slice(0, 30));",
                        String.valueOf(i)));
    }

    // ---- driving the pages

    /** A fresh browser session, then the console's sign-in and the dev login page, as a person would. */
    void signIn(String role, String fhirUser) {
        HeadlessChromium.signIn(browser, console, role, fhirUser, WAIT);
    }

    void screenshot(String name) {
        HeadlessChromium.screenshot(browser, name);
    }

    void go(String hash) {
        browser.get(console + hash);
    }

    WebElement rowOf(String text) {
        return waitFor(rowXpath(text));
    }

    static By rowXpath(String text) {
        return By.xpath("//div[@id='consent-list']//tr[td[contains(., '" + text + "')]]");
    }

    WebElement waitFor(By by) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    String text(By by) {
        return waitFor(by).getText();
    }

    void waitForText(By by, String text) {
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    }

    void waitUntil(Supplier<Boolean> condition) {
        new WebDriverWait(browser, WAIT).until(d -> condition.get());
    }

    /** Consent changes reach the chain's cache within about a second: polled, bounded. */
    void eventually(Supplier<Boolean> condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.get()) {
            assertThat(System.nanoTime()).as("condition within %s", WAIT).isLessThan(end);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).get("id").asText();
    }
}
