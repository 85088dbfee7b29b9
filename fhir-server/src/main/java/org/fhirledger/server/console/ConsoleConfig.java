package org.fhirledger.server.console;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

/**
 * The web console (docs/console.md): static pages and their pinned libraries, copied into the jar by the build and
 * served by Spring Boot at {@code /}. They are public, like a SMART app's files on any web server: the console holds
 * no data, signs in with the authorisation server and then uses the FHIR API with the user's token, which decides
 * everything. Scripts, styles and connections from this origin only, and the pages are never framed.
 */
@Configuration
public class ConsoleConfig {

    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'self';"
            + " frame-ancestors 'none'; object-src 'none'";

    /** The console's files: the page, its modules and styles, and the vendored libraries. */
    static final String[] PATHS = {"/", "/index.html", "/app/**", "/vendor/**", "/favicon.ico"};

    @Bean
    @Order(3)
    public SecurityFilterChain consoleFilterChain(HttpSecurity http) throws Exception {
        AntPathRequestMatcher[] files = java.util.Arrays.stream(PATHS)
                .map(p -> AntPathRequestMatcher.antMatcher(HttpMethod.GET, p))
                .toArray(AntPathRequestMatcher[]::new);
        http.securityMatcher(new OrRequestMatcher(files))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .headers(h -> h.contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
                        // the resource handler's Cache-Control (spring.web.resources.cache) stands: revalidate
                        .cacheControl(c -> c.disable()))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable);
        return http.build();
    }
}
