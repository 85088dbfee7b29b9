package org.fhirledger.server.audit;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import java.util.Map;
import java.util.Set;
import org.fhirledger.server.fhir.RefusedCapabilities;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.context.annotation.Configuration;

/** Audit trail rules. Registered with HAPI's global interceptor service so every storage path sees them. */
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
		return new RefusedCapabilities(Set.of(), Map.of(AuditEventImmutability.AUDIT_EVENT, Set.of("update", "patch", "delete")));
	}

	@Bean
	public AuditReferencesDoNotBlockDeletes auditReferencesDoNotBlockDeletes(IInterceptorService interceptors,
			JdbcTemplate jdbc) {
		AuditReferencesDoNotBlockDeletes rule = new AuditReferencesDoNotBlockDeletes(jdbc);
		interceptors.registerInterceptor(rule);
		return rule;
	}
}
