package org.fhirledger.server.outbox;

import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link CrashRounds} on PostgreSQL: the server killed with -9 under write load loses nothing it acknowledged. */
class CrashRecoveryTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    @Test
    void postgresLosesNothingAcknowledgedAndRecordsEveryCommittedVersionOnce() throws Exception {
        String db = "crash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        String jdbcUrl = PostgresInitializer.postgres().getJdbcUrl("postgres", db);
        // PostgreSQL commits durably by design: one round proves the rest of the chain of custody on it
        new CrashRounds(anvil).run(1, CrashRounds.dataDir("crash-pg-"), jdbcUrl, "postgres");
    }
}
