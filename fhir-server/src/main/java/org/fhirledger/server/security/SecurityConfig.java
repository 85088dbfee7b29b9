package org.fhirledger.server.security;

import java.nio.file.Path;
import java.time.Clock;
import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.fhir.FhirRestConfig;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;

/**
 * Every request under /fhir needs a valid bearer token, except the CapabilityStatement; health probes are
 * public. Stateless: no sessions, no CSRF (no cookies to ride on).
 */
@Configuration
@EnableConfigurationProperties({SecurityProperties.class, TokenCacheProperties.class})
public class SecurityConfig {

    /** Every trusted issuer's decoder checks a token's signature once (see {@link VerifiedTokens}). */
    @Bean
    public VerifiedTokens verifiedTokens(TokenCacheProperties settings) {
        return new VerifiedTokens(settings, Clock.systemUTC());
    }

    @Bean
    public JwtDecoder bearerTokenDecoder(
            SecurityProperties settings,
            DataDir dataDir,
            VerifiedTokens verified,
            ObjectProvider<AdditionalTokenIssuer> additionalIssuers) {
        Path dir = dataDir.path();
        // First, so that bin/dev-token sees this start's mode even if the rest of start-up fails.
        TokenSettingsFile.write(dir, settings);
        if (settings.mode() == SecurityMode.DEV) {
            // Dev mode is the embedded default: a deployment that forgot SECURITY_MODE must not go unnoticed.
            LoggerFactory.getLogger(SecurityConfig.class)
                    .warn(
                            "security.mode=dev: bearer tokens are trusted only from "
                                    + "the dev issuer key in {}/dev-issuer (bin/dev-token). For real use set security.mode=production "
                                    + "and an identity provider (security.issuer-uri or security.jwk-set-uri).",
                            dir);
        }
        JwtDecoder configured = settings.mode() == SecurityMode.DEV
                ? BearerTokenDecoders.dev(DevIssuer.loadOrCreate(dir), settings, verified)
                : BearerTokenDecoders.production(settings, verified);
        return new IssuerRoutingDecoder(configured, additionalIssuers::orderedStream);
    }

    @Bean
    public CallerAccessor callerAccessor() {
        return new SecurityContextCallerAccessor();
    }

    @Bean
    public SecurityFilterChain securityFilterChain(HttpSecurity http, JwtDecoder decoder, SecurityProperties settings)
            throws Exception {
        OperationOutcomeAuthenticationEntryPoint entryPoint = new OperationOutcomeAuthenticationEntryPoint();
        OperationOutcomeAccessDeniedHandler accessDenied = new OperationOutcomeAccessDeniedHandler();
        // Explicit Ant matchers: with two servlets (HAPI's and Spring MVC's) plain strings would be ambiguous.
        http.authorizeHttpRequests(auth -> auth.requestMatchers(AntPathRequestMatcher.antMatcher(
                                HttpMethod.GET, FhirRestConfig.FHIR_PATH + "/metadata"))
                        .permitAll()
                        .requestMatchers(AntPathRequestMatcher.antMatcher("/actuator/health"))
                        .permitAll()
                        .requestMatchers(AntPathRequestMatcher.antMatcher("/actuator/health/**"))
                        .permitAll()
                        .requestMatchers(AntPathRequestMatcher.antMatcher("/error"))
                        .permitAll()
                        .anyRequest()
                        .authenticated())
                .oauth2ResourceServer(rs -> {
                    rs.jwt(jwt -> jwt.decoder(decoder)
                                    .jwtAuthenticationConverter(
                                            new CallerClaims(settings.ledgerAddressClaim(), settings.fhirUserClaim())))
                            .authenticationEntryPoint(entryPoint)
                            .accessDeniedHandler(accessDenied);
                    // Replaces the default failure handling, which turns an unreachable IdP into a 500.
                    rs.addObjectPostProcessor(new ObjectPostProcessor<BearerTokenAuthenticationFilter>() {
                        @Override
                        public <O extends BearerTokenAuthenticationFilter> O postProcess(O filter) {
                            filter.setAuthenticationFailureHandler(new TokenCheckFailureHandler(entryPoint));
                            return filter;
                        }
                    });
                })
                .exceptionHandling(ex -> ex.authenticationEntryPoint(entryPoint).accessDeniedHandler(accessDenied))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .anonymous(AbstractHttpConfigurer::disable);
        return http.build();
    }
}
