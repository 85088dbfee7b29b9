package org.fhirledger.server.erasure;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.time.Clock;
import javax.sql.DataSource;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.audit.AuditTrail;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.outbox.LedgerPatients;
import org.fhirledger.server.outbox.LedgerWriter;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Erasure of a patient on the immutable ledger ({@code Patient/[id]/$erase}, see docs/erasure.md): only with the
 * ledger (the erasure is itself a ledger entry) and with authorisation (the operation is the custodian's alone).
 */
@Configuration
@ConditionalOnExpression("${ledger.enabled:false} and ${authorization.enabled:true}")
public class ErasureConfig {

    @Bean
    public ErasureRegistry erasureRegistry(DataSource dataSource) {
        ErasureRegistry registry = new ErasureRegistry(dataSource);
        registry.createSchema();
        return registry;
    }

    @Bean
    public ErasedResources erasedResources(
            RestfulServer fhirRestfulServer,
            ErasureRegistry registry,
            Pseudonyms pseudonyms,
            Compartments compartments) {
        ErasedResources erased = new ErasedResources(registry, pseudonyms, compartments);
        // with the request's interceptors (like the authorisation layer): its hooks are about API requests
        fhirRestfulServer.registerInterceptor(erased);
        return erased;
    }

    @Bean
    public ErasureService erasureService(
            DaoRegistry daos,
            @Qualifier("transactionManager") PlatformTransactionManager transactionManager,
            Pseudonyms pseudonyms,
            EnvelopeCipher cipher,
            OutboxStore outbox,
            LedgerPatients ledgerPatients,
            Ledger ledger,
            LedgerWriter writer,
            ErasureRegistry registry,
            Compartments compartments,
            AuditTrail auditTrail,
            DataSource dataSource) {
        return new ErasureService(
                daos,
                transactionManager,
                pseudonyms,
                cipher,
                outbox,
                ledger,
                writer::wake,
                registry,
                new PatientRecords(daos, compartments, registry.jdbc()),
                new ErasureAudit(daos),
                auditTrail::forget,
                ledgerPatients::forget,
                () -> H2CompactionAfterErasure.request(dataSource),
                Clock.systemUTC());
    }

    /** Static: a post-processor of the data source, created before it. */
    @Bean
    public static H2CompactionAfterErasure h2CompactionAfterErasure() {
        return new H2CompactionAfterErasure();
    }

    @Bean
    public EraseOperation eraseOperation(ErasureService service) {
        return new EraseOperation(service);
    }

    @Bean
    public SmartInitializingSingleton registerEraseOperation(RestfulServer fhirRestfulServer, EraseOperation op) {
        return () -> fhirRestfulServer.registerProvider(op);
    }

    @Bean
    public ErasureResumer erasureResumer(ErasureService service) {
        return new ErasureResumer(service);
    }
}
