package org.fhirledger.server.api;

import org.fhirledger.server.audit.AuditLogContract;
import org.fhirledger.server.testing.H2FileInitializer;
import org.springframework.test.context.ContextConfiguration;

/** The API suites on the embedded default: an H2 file database under a fresh data directory. */
@ContextConfiguration(initializers = H2FileInitializer.class)
class H2FhirApiTest extends ServerTestBase
        implements CrudAndSearchContract,
                BadInputContract,
                SyntheaLoadContract,
                AuditEventImmutabilityContract,
                DatabaseErrorContract,
                AuditLogContract {}
