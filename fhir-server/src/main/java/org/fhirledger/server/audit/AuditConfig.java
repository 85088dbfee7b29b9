package org.fhirledger.server.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.persistence.EntityManagerFactory;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.fhir.BackgroundConnections;
import org.fhirledger.server.fhir.RefusedCapabilities;
import org.fhirledger.server.integrity.IntegrityFailureAudit;
import org.fhirledger.server.outbox.WriterLock;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.CallerAccessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

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
    @EnableConfigurationProperties(AuditProperties.class)
    public static class PerAccessAudit {

        @Bean
        public AuditRecords auditRecords(DataSource dataSource) {
            AuditRecords records = new AuditRecords(dataSource);
            records.createSchema();
            return records;
        }

        /**
         * Its group commit on the background pool ({@code database.background-pool-size}): on the request pool it
         * queued for a connection behind the very requests waiting for it, and under load starved.
         */
        @Bean
        public AuditLog auditLog(
                BackgroundConnections background,
                AuditRecords records,
                AuditProperties settings,
                ObjectProvider<AuditMaterialiser> materialiser) {
            return new AuditLog(
                    background.dataSource(),
                    records,
                    settings.appendTimeout(),
                    () -> materialiser.ifAvailable(AuditMaterialiser::wake));
        }

        @Bean
        public AuditTrail auditTrail(DaoRegistry daos, JdbcTemplate jdbc, Pseudonyms pseudonyms, AuditLog auditLog) {
            return new AuditTrail(daos, jdbc, Clock.systemUTC(), pseudonyms, auditLog);
        }

        /** One per database, like the chain follower and the anchorer; its lock's session on the background pool. */
        @Bean
        public AuditMaterialiser auditMaterialiser(
                AuditRecords records,
                AuditTrail trail,
                DaoRegistry daos,
                PlatformTransactionManager transactions,
                EntityManagerFactory entities,
                DataSource dataSource,
                BackgroundConnections background,
                AuditProperties settings) {
            WriterLock lock =
                    WriterLock.forJob(background.dataSource(), WriterLock.postgres(dataSource), "audit-materialiser");
            return new AuditMaterialiser(records, trail, daos, transactions, entities, lock, settings);
        }

        /** "audit" in /actuator/health: the backlog and the records that could not be materialised. */
        @Bean
        public AuditHealthIndicator auditHealthIndicator(AuditMaterialiser materialiser) {
            return new AuditHealthIndicator(materialiser);
        }

        /** See {@link ReadYourAudits}. */
        @Bean
        public ReadYourAudits readYourAudits(RestfulServer server, AuditMaterialiser materialiser) {
            ReadYourAudits rule = new ReadYourAudits(materialiser);
            server.registerInterceptor(rule);
            return rule;
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
