package org.fhirledger.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

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

    /**
     * Signs in to the console at {@code console} (its root URL) from a signed-out browser, as a person would: the
     * console's button, the dev login page (role, fhirUser), PKCE, the redirect back.
     */
    public static void signIn(WebDriver browser, String console, String role, String fhirUser, Duration wait) {
        // as the console's "Sign out" does: the embedded server's login session ends, then the console's
        browser.get(console + "logout");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.manage().deleteAllCookies();
        browser.get(console);
        WebDriverWait until = new WebDriverWait(browser, wait);
        until.until(ExpectedConditions.elementToBeClickable(By.id("sign-in"))).click();
        new Select(until.until(ExpectedConditions.visibilityOfElementLocated(By.name("role")))).selectByValue(role);
        if (fhirUser != null) browser.findElement(By.name("fhirUser")).sendKeys(fhirUser);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        until.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-out")));
        assertThat(browser.getCurrentUrl()).startsWith(console).doesNotContain("code=");
    }

    /** The page as the user sees it, in target/console-screenshots (docs/console.md shows them). */
    public static void screenshot(WebDriver browser, String name) {
        try {
            Path dir = Path.of("target", "console-screenshots");
            Files.createDirectories(dir);
            Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
