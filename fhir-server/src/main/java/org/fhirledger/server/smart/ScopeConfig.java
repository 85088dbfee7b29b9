package org.fhirledger.server.smart;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.security.CallerAccessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** SMART scopes held against every request, after (and only narrowing) the chain's authorisation. */
@Configuration
@ConditionalOnProperty(name = "authorization.enabled", havingValue = "true", matchIfMissing = true)
public class ScopeConfig {

    /**
     * Registered once every bean exists, so after the authorisation interceptor (whose refusals come first, as
     * before), without pulling the chain's beans forward in start-up order.
     */
    @Bean
    public SmartInitializingSingleton scopeEnforcement(
            RestfulServer fhirRestfulServer,
            ObjectProvider<Compartments> compartments,
            CallerAccessor callers,
            FhirContext ctx) {
        return () -> fhirRestfulServer.registerInterceptor(
                new ScopeEnforcement(callers, new ScopeRules(compartments.getObject()), ctx));
    }
}
