package org.fhirledger.server.smart.dev;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTParser;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import org.fhirledger.server.authz.VisiblePatients;
import org.fhirledger.server.security.DevIssuer;
import org.fhirledger.server.security.SecurityProperties;
import org.fhirledger.server.smart.AuthorizationServerLocator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AccessTokenAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.config.annotation.web.configurers.OAuth2AuthorizationServerConfigurer;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.token.DelegatingOAuth2TokenGenerator;
import org.springframework.security.oauth2.server.authorization.token.JwtGenerator;
import org.springframework.security.oauth2.server.authorization.token.OAuth2RefreshTokenGenerator;
import org.springframework.security.oauth2.server.authorization.web.authentication.OAuth2AccessTokenResponseAuthenticationSuccessHandler;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Dev mode's embedded OAuth2 authorisation server for SMART apps (Spring Authorization Server, configured, not
 * written): authorization code with PKCE for public browser apps, a dev login page, refresh tokens, and client
 * credentials with {@code private_key_jwt} for backend services, and a patient picker for {@code launch/patient}
 * (the consent step). Tokens are signed with the dev issuer key, which
 * the resource server already trusts in dev mode. Not present in production, where the IdP issues tokens.
 */
@Configuration
@ConditionalOnProperty(name = "security.mode", havingValue = "dev", matchIfMissing = true)
@EnableConfigurationProperties(DevAuthorizationServerProperties.class)
@Import({DevLoginPage.class, PatientPickerPage.class})
public class DevAuthorizationServerConfig {

    @Bean
    public AuthorizationServerSettings authorizationServerSettings() {
        // no fixed issuer: the address the request came to (localhost, a LAN name...)
        return AuthorizationServerSettings.builder().build();
    }

    @Bean
    public AuthorizationServerLocator embeddedAuthorizationServer(AuthorizationServerSettings settings) {
        return new EmbeddedAuthorizationServer(settings);
    }

    @Bean
    public RegisteredClientRepository devRegisteredClients(
            DevAuthorizationServerProperties settings, @Value("${server.port:8080}") int port) {
        return new InMemoryRegisteredClientRepository(new DevClients(settings.withConsole(port)).registered());
    }

    /** Authorisations (codes, refresh tokens) live in memory: a restarted dev server asks apps to log in again. */
    @Bean
    public OAuth2AuthorizationService devAuthorizations() {
        return new InMemoryOAuth2AuthorizationService();
    }

    @Bean
    public JWKSource<SecurityContext> devIssuerJwks(@Value("${data-dir}") String dataDir) {
        return new ImmutableJWKSet<>(
                new JWKSet(DevIssuer.loadOrCreate(dir(dataDir)).signingKey()));
    }

    @Bean
    DevLedgerAccounts devLedgerAccounts(@Value("${data-dir}") String dataDir) {
        return new DevLedgerAccounts(DevIssuer.loadOrCreate(dir(dataDir)));
    }

    @Bean
    @Order(2)
    public SecurityFilterChain devAuthorizationServerFilterChain(
            HttpSecurity http,
            JWKSource<SecurityContext> jwks,
            SecurityProperties security,
            DevAuthorizationServerProperties settings,
            JwtDecoder bearerTokenDecoder,
            OAuth2AuthorizationService authorizations,
            DevLedgerAccounts accounts,
            ObjectProvider<VisiblePatients> visiblePatients,
            @Value("${data-dir}") String dataDir,
            @Value("${server.port:8080}") int port)
            throws Exception {
        Path dir = dir(dataDir);
        JwtGenerator jwtGenerator = new JwtGenerator(new NimbusJwtEncoder(jwks));
        jwtGenerator.setJwtCustomizer(
                new DevTokenClaims(security, accounts, new DevClients(settings.withConsole(port)), dir));
        OAuth2AccessTokenResponseAuthenticationSuccessHandler tokenResponse =
                new OAuth2AccessTokenResponseAuthenticationSuccessHandler();
        tokenResponse.setAccessTokenResponseCustomizer(context -> {
            // SMART: the launch context is also in the token response, where the app reads it
            OAuth2AccessTokenAuthenticationToken issued = context.getAuthentication();
            Object patient = claim(issued.getAccessToken().getTokenValue(), DevTokenClaims.PATIENT);
            if (patient != null) {
                Map<String, Object> extra = new HashMap<>(issued.getAdditionalParameters());
                extra.put(DevTokenClaims.PATIENT, patient);
                context.getAccessTokenResponse().additionalParameters(extra);
            }
        });

        OAuth2AuthorizationServerConfigurer as = OAuth2AuthorizationServerConfigurer.authorizationServer();
        RequestMatcher endpoints = as.getEndpointsMatcher();
        RequestMatcher login = AntPathRequestMatcher.antMatcher(DevLoginPage.PATH);
        // ends the login session, so the next dev user of the same browser picks who they are (the web console's
        // sign-out comes here)
        RequestMatcher logout = AntPathRequestMatcher.antMatcher(HttpMethod.GET, "/logout");
        RequestMatcher picker = AntPathRequestMatcher.antMatcher(PatientPickerPage.PATH);
        BiPredicate<DevUser, String> maySee = (user, patient) -> {
            VisiblePatients v = visiblePatients.getIfAvailable();
            return v != null && v.maySee(accounts.caller(user), patient);
        };
        http.securityMatcher(new OrRequestMatcher(endpoints, login, logout, picker))
                .with(
                        as,
                        a -> a.tokenGenerator(new DelegatingOAuth2TokenGenerator(
                                        jwtGenerator, new OAuth2RefreshTokenGenerator()))
                                .tokenEndpoint(t -> t.accessTokenResponseHandler(tokenResponse))
                                .authorizationEndpoint(e -> e.consentPage(PatientPickerPage.PATH)
                                        .authenticationProviders(providers -> providers.replaceAll(p -> {
                                            if (p instanceof OAuth2AuthorizationCodeRequestAuthenticationProvider r) {
                                                r.setAuthorizationConsentRequired(PickedPatient::pickerNeeded);
                                            }
                                            return p instanceof OAuth2AuthorizationConsentAuthenticationProvider c
                                                    ? new PickedPatient(c, authorizations, maySee)
                                                    : p;
                                        })))
                                .clientAuthentication(c ->
                                        c.authenticationConverters(list -> list.add(0, new AssertionNamesTheClient())))
                                .oidc(Customizer.withDefaults()))
                .authorizeHttpRequests(
                        a -> a.requestMatchers(login).permitAll().anyRequest().authenticated())
                .formLogin(f -> f.loginPage(DevLoginPage.PATH)
                        .usernameParameter(DevLogin.ROLE)
                        .authenticationDetailsSource(DevLogin.Details::of))
                .logout(l -> l.logoutRequestMatcher(logout).logoutSuccessUrl("/"))
                .authenticationProvider(new DevLogin(dir, accounts))
                .exceptionHandling(
                        e -> e.authenticationEntryPoint(new LoginUrlAuthenticationEntryPoint(DevLoginPage.PATH)))
                // the OIDC userinfo endpoint takes the access tokens this server issues
                .oauth2ResourceServer(rs -> rs.jwt(j -> j.decoder(bearerTokenDecoder)))
                .csrf(c -> c.ignoringRequestMatchers(endpoints));
        return http.build();
    }

    private static Object claim(String jwt, String name) {
        try {
            return JWTParser.parse(jwt).getJWTClaimsSet().getClaim(name); // our own token, just signed
        } catch (ParseException e) {
            return null;
        }
    }

    private static Path dir(String dataDir) {
        return Path.of(dataDir).toAbsolutePath().normalize();
    }
}
