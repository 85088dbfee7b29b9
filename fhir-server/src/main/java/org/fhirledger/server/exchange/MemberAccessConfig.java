package org.fhirledger.server.exchange;

import java.time.Clock;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.security.AdditionalTokenIssuer;
import org.fhirledger.server.security.SecurityProperties;
import org.fhirledger.server.security.VerifiedTokens;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.web3j.crypto.Credentials;

/**
 * Other members' access (docs/exchange.md, retrieval): the token endpoint that takes their client assertions, the
 * tokens it issues (trusted by the resource server beside the configured issuer), and this server's own assertions
 * for when it asks another member.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@EnableConfigurationProperties(MemberAccessProperties.class)
public class MemberAccessConfig {

    @Bean
    MemberAccessTokens memberAccessTokens(
            Credentials ledgerCredentials, SecurityProperties security, MemberAccessProperties settings) {
        return new MemberAccessTokens(ledgerCredentials, security, settings, Clock.systemUTC());
    }

    /** The resource server accepts the member tokens, checked with this server's own key. */
    @Bean
    public AdditionalTokenIssuer memberTokenIssuer(
            MemberAccessTokens tokens, ObjectProvider<ConsortiumView> consortium, VerifiedTokens verified) {
        // the directory is read only when a token comes, and on every use of it
        return tokens.trusted(consortium::getIfAvailable, verified);
    }

    @Bean
    public MemberAssertions memberAssertions(Credentials ledgerCredentials) {
        return new MemberAssertions(ledgerCredentials, Clock.systemUTC());
    }

    @Bean
    public ServletRegistrationBean<MemberTokenServlet> memberTokenServlet(
            MemberAccessTokens tokens,
            ObjectProvider<ConsortiumView> consortium,
            ObjectProvider<Ledger> ledger,
            MemberAccessProperties settings) {
        SeenAssertions seen = new SeenAssertions(Clock.systemUTC());
        MemberTokenServlet servlet = new MemberTokenServlet(
                () -> {
                    ConsortiumView view = consortium.getIfAvailable();
                    return view == null
                            ? null
                            : new MemberAssertionCheck(view, ledger.getObject(), seen, settings, Clock.systemUTC());
                },
                consortium::getIfAvailable,
                tokens);
        ServletRegistrationBean<MemberTokenServlet> registration =
                new ServletRegistrationBean<>(servlet, MemberTokenServlet.PATH);
        registration.setName("member-token");
        return registration;
    }

    /** Public, as a token endpoint is: the client assertion is the authentication. */
    @Bean
    @Order(1)
    public SecurityFilterChain memberTokenFilterChain(HttpSecurity http) throws Exception {
        http.securityMatcher(AntPathRequestMatcher.antMatcher(MemberTokenServlet.PATH))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable);
        return http.build();
    }
}
