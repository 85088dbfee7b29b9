package org.fhirledger.server.integrity;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.CallerAccessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The read-side integrity check; imported by the write pipeline (ledger on only). */
@Configuration
@EnableConfigurationProperties(IntegrityProperties.class)
public class IntegrityConfig {

	@Bean(destroyMethod = "close")
	public LedgerRecords ledgerRecords(Ledger ledger, IntegrityProperties settings) {
		return new LedgerRecords(ledger, ledger, settings);
	}

	@Bean
	@ConditionalOnMissingBean
	public IntegrityFailureAudit integrityFailureAudit(DaoRegistry daos, ObjectProvider<CallerAccessor> callers,
			PlatformTransactionManager transactions) {
		return new AuditEventIntegrityFailureAudit(daos, callers, transactions);
	}

	@Bean
	public IntegrityCheck integrityCheck(IInterceptorService interceptors, RestfulServer server, FhirContext ctx,
			LedgerRecords records, OutboxStore outbox, Pseudonyms pseudonyms, IntegrityFailureAudit audit, DaoRegistry daos) {
		IntegrityCheck check = new IntegrityCheck(ctx, new IntegrityChecker(records, outbox, pseudonyms), audit, daos);
		interceptors.registerInterceptor(check);
		server.registerInterceptor(new WithheldFromPage());
		return check;
	}
}
