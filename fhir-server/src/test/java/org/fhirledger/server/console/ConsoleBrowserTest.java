package org.fhirledger.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
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

    WebDriver browser;
    String console;
    String patient;
    String report;
    String strangerPatient;
    String other;

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
    void anAdminAssignsARoleAndSeesTheTransactionOnChain() {
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

        // the same account again: the contract refuses, and the page says so
        browser.findElement(By.cssSelector("#assign-form button[type=submit]")).click();
        assertThat(text(By.cssSelector("#assign-form + div .error"))).contains("409");
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

        go("#/ledger");
        waitFor(By.tagName("main"));
        // this test server follows no public chain: the page says what the API answered, whatever it was
        new WebDriverWait(browser, WAIT)
                .until(d -> !d.findElements(By.id("ledger-status")).isEmpty()
                        || !d.findElements(By.cssSelector("main .error")).isEmpty());
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

    // ---- driving the pages

    /** A fresh browser session, then the console's sign-in and the dev login page, as a person would. */
    void signIn(String role, String fhirUser) {
        // as the console's "Sign out" does: the embedded server's login session ends, then the console's
        browser.get(console + "logout");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.manage().deleteAllCookies();
        browser.get(console);
        waitFor(By.id("sign-in")).click();
        new Select(waitFor(By.name("role"))).selectByValue(role);
        if (fhirUser != null) browser.findElement(By.name("fhirUser")).sendKeys(fhirUser);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        waitFor(By.id("sign-out"));
        assertThat(browser.getCurrentUrl()).startsWith(console).doesNotContain("code=");
    }

    /** The page as the user sees it, in target/console-screenshots (docs/console.md shows them). */
    void screenshot(String name) {
        try {
            Path dir = Path.of("target", "console-screenshots");
            Files.createDirectories(dir);
            Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
