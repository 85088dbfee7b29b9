package org.fhirledger.server.smart;

import java.util.List;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.util.UrlPathHelper;

/**
 * Which cross-origin requests browsers may make: the FHIR API and the OAuth endpoints a SMART app calls from
 * script (token, JWKS, discovery), from the configured origins. The login page and the authorisation endpoint
 * are navigations, not script calls, and get no CORS headers.
 */
final class BrowserAppsCors {

    private BrowserAppsCors() {}

    static final List<String> PATHS = List.of(
            "/fhir/**",
            "/oauth2/token",
            "/oauth2/revoke",
            "/oauth2/introspect",
            "/oauth2/jwks",
            "/.well-known/**",
            "/userinfo");

    static UrlBasedCorsConfigurationSource source(SmartProperties settings) {
        CorsConfiguration cors = new CorsConfiguration();
        cors.setAllowedOriginPatterns(settings.allowedOrigins());
        cors.setAllowedMethods(List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));
        cors.setAllowedHeaders(List.of(
                "Authorization",
                "Content-Type",
                "Accept",
                "If-Match",
                "If-None-Match",
                "If-None-Exist",
                "If-Modified-Since",
                "Prefer",
                "X-Request-ID"));
        cors.setExposedHeaders(List.of(
                "ETag",
                "Location",
                "Content-Location",
                "Last-Modified",
                "X-Request-ID",
                "WWW-Authenticate",
                "Retry-After"));
        // Bearer tokens, not cookies: no credentials mode, so no session can be ridden from another origin.
        cors.setAllowCredentials(false);
        cors.setMaxAge(settings.corsMaxAge());
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        // match the path from the context root: within HAPI's servlet (/fhir/*) the default would be /Patient/1
        UrlPathHelper fullPath = new UrlPathHelper();
        fullPath.setAlwaysUseFullPath(true);
        source.setUrlPathHelper(fullPath);
        PATHS.forEach(p -> source.registerCorsConfiguration(p, cors));
        return source;
    }
}
