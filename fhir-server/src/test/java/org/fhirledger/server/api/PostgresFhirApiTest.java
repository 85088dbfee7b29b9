package org.fhirledger.server.api;

import org.fhirledger.server.audit.AuditLogContract;
import org.fhirledger.server.testing.PostgresInitializer;
import org.springframework.test.context.ContextConfiguration;

/** The same API suites on a real PostgreSQL server (zonky's binary from Maven Central). */
@ContextConfiguration(initializers = PostgresInitializer.class)
class PostgresFhirApiTest extends ServerTestBase
        implements CrudAndSearchContract,
                BadInputContract,
                SyntheaLoadContract,
                AuditEventImmutabilityContract,
                DatabaseErrorContract,
                AuditLogContract {}
