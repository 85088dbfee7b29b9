package org.fhirledger.server.smart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a browser does in an authorisation-code flow: keeps cookies, follows redirects on this server, posts the
 * login form, and stops at the app's redirect URI (another origin) to hand back the code.
 */
final class OAuthBrowser {

    private final HttpClient http = HttpClient.newBuilder()
            .cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String server;

    OAuthBrowser(String server) {
        this.server = server;
    }

    record Pkce(String verifier, String challenge) {
        static Pkce create() {
            byte[] b = new byte[32];
            new SecureRandom().nextBytes(b);
            String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            try {
                byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
                return new Pkce(
                        verifier, Base64.getUrlEncoder().withoutPadding().encodeToString(hash));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(absolute(url)))
                .header("Accept", "text/html")
                .GET());
    }

    HttpResponse<String> postForm(String url, Map<String, String> form) {
        return send(HttpRequest.newBuilder(URI.create(absolute(url)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))));
    }

    /** Follows redirects within this server; returns the first answer that is not one (or a redirect elsewhere). */
    HttpResponse<String> follow(HttpResponse<String> r) {
        for (int i = 0; i < 10 && r.statusCode() / 100 == 3; i++) {
            String location = r.headers().firstValue("Location").orElseThrow();
            if (!absolute(location).startsWith(server)) return r;
            r = get(location);
        }
        return r;
    }

    /**
     * Starts at the authorisation endpoint, logs in on the login page when sent there, and returns the final
     * redirect to the app (or the error page).
     */
    HttpResponse<String> authorize(String query, Map<String, String> login) {
        HttpResponse<String> r = follow(get("/oauth2/authorize?" + query));
        if (r.statusCode() == 200 && r.body().contains("name=\"role\"")) {
            Map<String, String> form = new LinkedHashMap<>(login);
            Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(r.body());
            if (csrf.find()) form.put("_csrf", csrf.group(1));
            r = follow(postForm("/login", form));
        }
        return r;
    }

    /** Whether this answer is the patient picker (the consent step of a launch/patient). */
    static boolean isPicker(HttpResponse<String> r) {
        return r.statusCode() == 200 && r.body().contains("Pick a patient");
    }

    /** The patient ids the picker offers. */
    static java.util.List<String> offered(HttpResponse<String> picker) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("name=\"patient\" value=\"([^\"]+)\"").matcher(picker.body());
        while (m.find()) ids.add(m.group(1));
        return ids;
    }

    /**
     * Submits the picker as its form does (its hidden fields: client_id, state, every scope) with these patient
     * values (none, one, or several as a tampering client would), and returns the redirect to the app.
     */
    HttpResponse<String> pick(HttpResponse<String> picker, String... patients) {
        java.util.List<Map.Entry<String, String>> fields = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")
                .matcher(picker.body());
        while (m.find()) {
            fields.add(Map.entry(m.group(1), org.springframework.web.util.HtmlUtils.htmlUnescape(m.group(2))));
        }
        for (String p : patients) fields.add(Map.entry("patient", p));
        String body = fields.stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return follow(send(HttpRequest.newBuilder(URI.create(absolute("/oauth2/authorize")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body))));
    }

    static String form(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    static Map<String, String> queryOf(String url) {
        Map<String, String> out = new LinkedHashMap<>();
        String q = URI.create(url).getRawQuery();
        if (q == null) return out;
        for (String part : q.split("&")) {
            int eq = part.indexOf('=');
            out.put(
                    java.net.URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private String absolute(String url) {
        return url.startsWith("http") ? url : server + url;
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
