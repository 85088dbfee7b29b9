package org.fhirledger.server.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.fhir.RefusedCapabilities;
import org.fhirledger.server.integrity.IntegrityFailureAudit;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.CallerAccessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Audit trail rules, registered with HAPI's global interceptor service so every storage path sees them; and, with
 * authorisation on, the per-access audit trail on the FHIR servlet.
 */
@Configuration
public class AuditConfig {

    @Bean
    public AuditEventImmutability auditEventImmutability(IInterceptorService interceptors) {
        AuditEventImmutability rule = new AuditEventImmutability();
        interceptors.registerInterceptor(rule);
        return rule;
    }

    /** See {@link AuditEventImmutability}. */
    @Bean
    public RefusedCapabilities immutableAuditEvents() {
        return new RefusedCapabilities(
                Set.of(), Map.of(AuditEventImmutability.AUDIT_EVENT, Set.of("update", "patch", "delete")));
    }

    @Bean
    public AuditReferencesDoNotBlockDeletes auditReferencesDoNotBlockDeletes(
            IInterceptorService interceptors, JdbcTemplate jdbc) {
        AuditReferencesDoNotBlockDeletes rule = new AuditReferencesDoNotBlockDeletes(jdbc);
        interceptors.registerInterceptor(rule);
        return rule;
    }

    /**
     * One AuditEvent per access, from what the authorisation layer learned about the request: only with
     * authorisation on (with authorization.enabled=false, benchmarks of plain HAPI, there is no caller to audit).
     */
    @Configuration
    @ConditionalOnProperty(name = "authorization.enabled", havingValue = "true", matchIfMissing = true)
    public static class PerAccessAudit {

        @Bean
        public AuditTrail auditTrail(DaoRegistry daos, Pseudonyms pseudonyms) {
            return new AuditTrail(daos, Clock.systemUTC(), pseudonyms);
        }

        /** On the FHIR servlet, after the other request interceptors (its order says so). */
        @Bean
        public AuditInterceptor auditInterceptor(
                RestfulServer server,
                AuditTrail trail,
                CallerAccessor callers,
                FhirContext ctx,
                Compartments compartments) {
            AuditInterceptor audit = new AuditInterceptor(trail, callers, ctx, compartments);
            server.registerInterceptor(audit);
            return audit;
        }

        /** The integrity check's failure is told in the request's own AuditEvent, not in an AuditEvent of its own. */
        @Bean
        public IntegrityFailureAudit integrityFailureInTheAudit() {
            return new IntegrityFailureInTheAudit();
        }
    }
}
