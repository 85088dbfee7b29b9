package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.HeadlessChromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.test.context.ContextConfiguration;

/**
 * A standalone SMART app on another origin, written with the real {@code fhirclient} library (the console's pinned
 * build), in a real headless Chromium: it discovers the server, authorises with PKCE through the embedded
 * authorisation server's login page and patient picker, exchanges the code at the token endpoint and calls the API
 * cross-origin (CORS preflights included), within its patient only. A page on an origin the server does not allow
 * gets no CORS answer, so the browser keeps the server from it. Uses the default dev client and origins, so it
 * shares its server with the console's browser test.
 */
@ContextConfiguration(initializers = H2FileInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmartAppInChromiumTest extends ServerTestBase {

    static final Duration WAIT = Duration.ofSeconds(30);
    /** The default dev client, whose loopback redirect URI {@code http://127.0.0.1:8000/} takes any port. */
    static final String CLIENT = "smart-dev-app";

    WebDriver browser;
    HttpServer app;
    HttpServer foreignApp;
    String patient;
    String otherPatient;

    @RegisterExtension
    final TestWatcher pageOnFailure = HeadlessChromium.pageOnFailure(() -> browser);

    @BeforeAll
    void browserAppsAndPatients() throws IOException {

        String admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        for (String id : List.of("smartapp-dr", "smartapp-other")) {
            assertThat(put(
                                    admin,
                                    "/Practitioner/" + id,
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"" + id + "\",\"name\":[{\"family\":\""
                                            + id + "\"}]}")
                            .statusCode())
                    .isIn(200, 201);
        }
        // the registering clinician holds the patient's consent: the picker offers this patient to them
        String dr = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smartapp-dr");
        patient = created(post(
                dr,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Appleby\",\"given\":[\"Sam\"]}]}"));
        for (String value : List.of("5.4", "6.1")) {
            created(post(
                    dr,
                    "/Observation",
                    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                            + "\"http://loinc.org\",\"code\":\"2345-7\"}]},\"subject\":{\"reference\":\"Patient/"
                            + patient + "\"},\"valueQuantity\":{\"value\":" + value + ",\"unit\":\"mmol/L\"}}"));
        }
        // a patient of another clinician, outside the app's patient (and outside this clinician's consents)
        String other = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/smartapp-other");
        otherPatient = created(
                post(other, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Otherwise\"}]}"));

        String iss = baseUrl(); // http://localhost:PORT/fhir: another origin than the app's
        app = appServer(InetAddress.getByName("127.0.0.1"), iss);
        // the whole of 127/8 is loopback; the server allows only 127.0.0.1 of it by default
        foreignApp = appServer(InetAddress.getByName("127.0.0.2"), iss);

        browser = HeadlessChromium.start("the SMART app's browser test", WAIT);
    }

    @AfterAll
    void stop() {
        if (browser != null) browser.quit();
        if (app != null) app.stop(0);
        if (foreignApp != null) foreignApp.stop(0);
    }

    @Test
    void aStandaloneAppOnAnotherOriginLaunchesReadsItsPatientAndIsRefusedOutsideIt() {
        browser.get(origin(app) + "/launch.html");
        // fhirclient discovered the server (cross-origin) and sent the browser to its authorisation endpoint
        new Select(waitFor(By.name("role"))).selectByValue("CLINICIAN");
        browser.findElement(By.name("fhirUser")).sendKeys("Practitioner/smartapp-dr");
        browser.findElement(By.cssSelector("form button[type=submit]")).click();

        waitForText(By.tagName("h1"), "Pick a patient");
        List<WebElement> offered = browser.findElements(By.name("patient"));
        assertThat(offered.stream().map(e -> e.getAttribute("value")))
                .contains(patient)
                .doesNotContain(otherPatient);
        browser.findElement(By.cssSelector("input[name=patient][value='" + patient + "']"))
                .click();
        browser.findElement(By.cssSelector("form button[type=submit]")).click();

        // back on the app's origin: fhirclient exchanged the code (with its PKCE verifier) and called the API
        waitForText(By.id("status"), "done");
        assertThat(browser.getCurrentUrl()).startsWith(origin(app) + "/");
        assertThat(text("patient-context")).isEqualTo(patient);
        assertThat(text("patient-name")).isEqualTo("Sam Appleby");
        assertThat(text("observations")).isEqualTo("2");
        assertThat(text("scope")).contains("patient/*.rs").contains("launch/patient");
        assertThat(text("pkce")).isEqualTo("verifier sent");
        // outside its patient: the server's refusal, an OperationOutcome, reached the page (CORS headers on errors)
        assertThat(text("outside")).matches("(?s)refused (403|404): .*OperationOutcome.*");
        assertThat(text("outside")).doesNotContain("Otherwise");
    }

    @Test
    void aPageOnAnOriginTheServerDoesNotAllowGetsNoAnswer() {
        browser.get(origin(foreignApp) + "/launch.html");
        // discovery needs the server's answer, which the browser withholds without CORS headers: no redirect
        waitForText(By.id("status"), "failed");
        assertThat(browser.getCurrentUrl()).startsWith(origin(foreignApp));
        assertThat(text("error")).containsIgnoringCase("fetch");
        browser.get(origin(foreignApp) + "/probe.html");
        waitForText(By.id("status"), "failed");
        assertThat(text("error")).contains("Failed to fetch");
        // the same probe from the allowed origin is answered: the failure above is the origin's, not the probe's
        browser.get(origin(app) + "/probe.html");
        waitForText(By.id("status"), "answered 200");
    }

    // ---- the app's pages (served from another origin than the server's)

    HttpServer appServer(InetAddress address, String iss) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), 0);
        byte[] library = library();
        Map<String, byte[]> pages = Map.of(
                "/launch.html", page(launchScript(iss)),
                "/", page(readyScript()),
                "/probe.html", page(probeScript(iss)),
                "/fhir-client.js", library);
        server.createContext("/", exchange -> {
            byte[] body = pages.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.getResponseHeaders()
                        .add(
                                "Content-Type",
                                exchange.getRequestURI().getPath().endsWith(".js")
                                        ? "text/javascript"
                                        : "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        return server;
    }

    static String origin(HttpServer server) {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":"
                + server.getAddress().getPort();
    }

    /** The console's pinned fhirclient build, which the fhir-server build copies into the jar. */
    static byte[] library() throws IOException {
        try (InputStream in =
                SmartAppInChromiumTest.class.getResourceAsStream("/static/vendor/fhir-client.pure.min.js")) {
            assertThat(in)
                    .as("static/vendor/fhir-client.pure.min.js (bin/install-tools installs console/node_modules)")
                    .isNotNull();
            return in.readAllBytes();
        }
    }

    static byte[] page(String script) {
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SMART test app</title>"
                        + "<script src=\"/fhir-client.js\"></script></head><body>"
                        + "<p>status: <span id=\"status\">working</span></p>"
                        + "<p>error: <span id=\"error\"></span></p>"
                        + "<p>patient: <span id=\"patient-context\"></span> <span id=\"patient-name\"></span></p>"
                        + "<p>observations: <span id=\"observations\"></span></p>"
                        + "<p>scope: <span id=\"scope\"></span> pkce: <span id=\"pkce\"></span></p>"
                        + "<p>outside: <span id=\"outside\"></span></p>"
                        + "<script>const show = (id, text) => document.getElementById(id).textContent = text;\n"
                        + script + "</script></body></html>")
                .getBytes(StandardCharsets.UTF_8);
    }

    String launchScript(String iss) {
        return """
				FHIR.oauth2.authorize({
				  clientId: '%s',
				  scope: 'openid fhirUser launch/patient patient/*.rs',
				  redirectUri: location.origin + '/',
				  iss: '%s'
				}).catch(e => { show('error', String(e && e.message || e)); show('status', 'failed'); });
				""".formatted(CLIENT, iss);
    }

    String readyScript() {
        return """
				(async () => {
				  try {
				    const client = await FHIR.oauth2.ready();
				    show('scope', client.state.tokenResponse.scope);
				    // fhirclient keeps the PKCE verifier it sent with the code in its state
				    show('pkce', client.state.codeVerifier ? 'verifier sent' : 'none');
				    show('patient-context', client.patient.id);
				    const p = await client.patient.read();
				    show('patient-name', p.name[0].given.join(' ') + ' ' + p.name[0].family);
				    const bundle = await client.request('Observation?patient=' + client.patient.id);
				    show('observations', String((bundle.entry || []).length));
				    try {
				      const outside = await client.request('Patient/%s');
				      show('outside', 'answered: ' + JSON.stringify(outside));
				    } catch (e) {
				      const body = e.response ? await e.response.text().catch(() => '') : '';
				      show('outside', 'refused ' + e.status + ': ' + (body || e.message));
				    }
				    show('status', 'done');
				  } catch (e) {
				    show('error', String(e && e.message || e));
				    show('status', 'failed');
				  }
				})();
				""".formatted(otherPatient);
    }

    /** A plain cross-origin call: the browser hands the page the answer only if the server allows its origin. */
    static String probeScript(String iss) {
        return """
				fetch('%s/metadata', {headers: {'Accept': 'application/fhir+json'}})
				  .then(r => show('status', 'answered ' + r.status),
				        e => { show('error', String(e)); show('status', 'failed'); });
				""".formatted(iss);
    }

    // ---- driving the pages

    WebElement waitFor(By by) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    void waitForText(By by, String text) {
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    }

    static String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).get("id").asText();
    }
}
