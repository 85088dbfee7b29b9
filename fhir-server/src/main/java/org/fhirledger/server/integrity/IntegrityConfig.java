package org.fhirledger.server.integrity;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.ledger.ChainDurability;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.CallerAccessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/** The read-side integrity check of what the write pipeline recorded (ledger on only). */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@EnableConfigurationProperties(IntegrityProperties.class)
public class IntegrityConfig {

    @Bean(destroyMethod = "close")
    public LedgerRecords ledgerRecords(Ledger ledger, IntegrityProperties settings) {
        return new LedgerRecords(ledger, ledger, settings);
    }

    /**
     * A failure is told by the {@link IntegrityFailureAudit} another feature provides (the per-access audit trail
     * tells it in the request's own AuditEvent); without one, by a failure AuditEvent of its own.
     */
    @Bean
    public IntegrityCheck integrityCheck(
            IInterceptorService interceptors,
            RestfulServer server,
            FhirContext ctx,
            LedgerRecords records,
            OutboxStore outbox,
            Pseudonyms pseudonyms,
            ObjectProvider<IntegrityFailureAudit> audits,
            DaoRegistry daos,
            ObjectProvider<CallerAccessor> callers,
            PlatformTransactionManager transactions,
            ObjectProvider<ChainDurability> durability) {
        IntegrityFailureAudit audit =
                audits.getIfAvailable(() -> new AuditEventIntegrityFailureAudit(daos, callers, transactions));
        // looked up per check: the embedded chain's bean starts (and tells the outbox of losses) after this one
        IntegrityChecker checker = new IntegrityChecker(records, outbox, pseudonyms, () -> {
            ChainDurability d = durability.getIfAvailable();
            return d == null ? Long.MAX_VALUE : d.durableBlock();
        });
        IntegrityCheck check = new IntegrityCheck(ctx, checker, audit, daos);
        interceptors.registerInterceptor(check);
        server.registerInterceptor(new WithheldFromPage());
        return check;
    }
}
