package org.fhirledger.server.smart;

import ca.uhn.fhir.rest.server.RestfulServer;
import java.time.Clock;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.springframework.web.filter.CorsFilter;

/**
 * SMART on FHIR around the API: discovery ({@code /fhir/.well-known/smart-configuration} and the
 * CapabilityStatement's security), CORS for browser apps and SMART scopes. The embedded authorisation server of dev
 * mode ({@code smart.dev}) is its own entry in the application's import list: it depends on this package, not the
 * reverse.
 */
@Configuration
@EnableConfigurationProperties(SmartProperties.class)
@Import(ScopeConfig.class)
public class SmartConfig {

    /** Production: the IdP named by security.issuer-uri issues tokens; the server only validates them. */
    @Bean
    @ConditionalOnProperty(name = "security.mode", havingValue = "production")
    public AuthorizationServerLocator issuerDiscovery(SecurityProperties security) {
        return new IssuerDiscovery(security.issuerUri(), Clock.systemUTC());
    }

    @Bean
    public ServletRegistrationBean<SmartConfigurationServlet> smartConfigurationServlet(
            AuthorizationServerLocator locator) {
        ServletRegistrationBean<SmartConfigurationServlet> registration =
                new ServletRegistrationBean<>(new SmartConfigurationServlet(locator), SmartConfigurationServlet.PATH);
        registration.setName("smart-configuration");
        return registration;
    }

    /** Public, like /fhir/metadata: an app reads it before it has a token. */
    @Bean
    @Order(1)
    public SecurityFilterChain smartDiscoveryFilterChain(HttpSecurity http) throws Exception {
        http.securityMatcher(AntPathRequestMatcher.antMatcher(SmartConfigurationServlet.PATH))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable);
        return http.build();
    }

    /** Before Spring Security: a preflight carries no token, and is answered (or refused) here. */
    @Bean
    public FilterRegistrationBean<CorsFilter> browserAppsCorsFilter(SmartProperties settings) {
        FilterRegistrationBean<CorsFilter> registration =
                new FilterRegistrationBean<>(new CorsFilter(BrowserAppsCors.source(settings)));
        registration.setOrder(
                org.springframework.boot.autoconfigure.security.SecurityProperties.DEFAULT_FILTER_ORDER - 10);
        return registration;
    }

    @Bean
    public SmartCapabilities smartCapabilities(RestfulServer fhirRestfulServer, AuthorizationServerLocator locator) {
        SmartCapabilities capabilities = new SmartCapabilities(locator);
        fhirRestfulServer.registerInterceptor(capabilities);
        return capabilities;
    }
}
