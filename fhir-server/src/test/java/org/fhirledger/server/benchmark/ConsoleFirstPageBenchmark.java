package org.fhirledger.server.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.fhirledger.server.testing.HeadlessChromium;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * How fast the web console's first page is in a real headless Chromium, against a running server (bin/run):
 * {@code bin/bench ConsoleFirstPageBenchmark [console URL, default http://127.0.0.1:8080/] [runs, default 20]}.
 *
 * <p>Prints, per kind of load, the median and the slowest of the page's own Navigation Timing figures (from the
 * navigation's start, so the browser's start-up is not counted): the response's last byte, DOMContentLoaded, the
 * load event, and the moment the console's sign-in button is on the page (its scripts ran and drew it). A cold
 * load is a new browser with an empty cache; a warm load is a reload in the same browser.
 */
public final class ConsoleFirstPageBenchmark {

    /** Waits in the page until the sign-in button exists, then answers the navigation's figures in ms. */
    private static final String FIGURES = """
            const done = arguments[arguments.length - 1];
            const answer = () => {
              const nav = performance.getEntriesByType('navigation')[0];
              done([nav.responseEnd, nav.domContentLoadedEventEnd, nav.loadEventEnd, performance.now()]);
            };
            const poll = () => {
              const nav = performance.getEntriesByType('navigation')[0];
              if (document.getElementById('sign-in') && nav && nav.loadEventEnd > 0) answer();
              else requestAnimationFrame(poll);
            };
            poll();
            """;

    private ConsoleFirstPageBenchmark() {}

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8080/";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        List<double[]> cold = new ArrayList<>();
        List<double[]> warm = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            WebDriver browser = HeadlessChromium.start("the console benchmark", Duration.ofSeconds(30));
            try {
                browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
                browser.get(url);
                cold.add(figures(browser));
                browser.navigate().refresh();
                warm.add(figures(browser));
            } finally {
                browser.quit();
            }
        }
        System.out.printf(Locale.ROOT, "console first page at %s, %d runs (ms from navigation start)%n", url, runs);
        System.out.println("| load | response end p50 / max | DOMContentLoaded p50 / max | load event p50 / max "
                + "| sign-in button drawn p50 / max |");
        System.out.println("|---|---:|---:|---:|---:|");
        print("cold (new browser)", cold);
        print("warm (reload)", warm);
    }

    private static double[] figures(WebDriver browser) {
        List<?> answer = (List<?>) ((JavascriptExecutor) browser).executeAsyncScript(FIGURES);
        double[] figures = new double[answer.size()];
        for (int i = 0; i < figures.length; i++) figures[i] = ((Number) answer.get(i)).doubleValue();
        return figures;
    }

    private static void print(String load, List<double[]> rows) {
        StringBuilder line = new StringBuilder("| " + load + " |");
        for (int column = 0; column < 4; column++) {
            List<Double> values = new ArrayList<>();
            for (double[] row : rows) values.add(row[column]);
            Collections.sort(values);
            line.append(String.format(
                    Locale.ROOT, " %.0f / %.0f |", values.get(values.size() / 2), values.get(values.size() - 1)));
        }
        System.out.println(line);
    }
}
