package org.fhirledger.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium and chromedriver (bin/test installs both) driven headless by Selenium, for the browser tests.
 * Where they are missing the tests are skipped with a message, unless {@code CONSOLE_BROWSER_TESTS=required} (set
 * by bin/test), where that is a failure.
 */
public final class HeadlessChromium {

    static final File CHROMIUM = new File("/usr/bin/chromium");
    static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private HeadlessChromium() {}

    /** A new browser whose page loads wait at most {@code pageLoad}; {@code who} names the tests in the messages. */
    public static WebDriver start(String who, Duration pageLoad) {
        boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        if (!present && !"required".equals(System.getenv("CONSOLE_BROWSER_TESTS"))) {
            Assumptions.abort("Skipped: no /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
                    + "chromium-driver; bin/test installs them and runs these tests)");
        }
        assertThat(present)
                .as("bin/test installs chromium and chromium-driver; " + who + " need them")
                .isTrue();
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM)
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900");
        WebDriver browser = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER)
                        .usingAnyFreePort()
                        .build(),
                options);
        browser.manage().timeouts().pageLoadTimeout(pageLoad);
        return browser;
    }

    /** On a failed test, prints what the page said (the API's refusals are on it). */
    public static TestWatcher pageOnFailure(Supplier<WebDriver> browser) {
        return new TestWatcher() {
            @Override
            public void testFailed(ExtensionContext context, Throwable cause) {
                WebDriver b = browser.get();
                if (b == null) return;
                System.out.println("---- page at " + b.getCurrentUrl() + " ----\n"
                        + b.findElement(By.tagName("body")).getText());
            }
        };
    }
}
