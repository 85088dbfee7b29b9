package org.fhirledger.server.benchmark;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.server.audit.AuditRecord;

/**
 * The database under a benchmark server: H2 (the embedded default, a file under the data directory, as bin/run)
 * or PostgreSQL (zonky's embedded server, as the tests use it, but with fsync on, as production runs it).
 */
final class BenchDatabase implements AutoCloseable {

    /** One server's database: the server's arguments, and a JDBC connection for reading its tables afterwards. */
    interface Handle {
        List<String> serverArgs();

        Connection connect() throws Exception;

        /**
         * Brings the planner's statistics up to date, as a database in service has them: PostgreSQL's autovacuum
         * analyses a table only once a tenth of it changed, so fresh tables are planned from empty statistics for
         * the first minutes. H2 (held open by its server): nothing.
         */
        default void analyze() throws Exception {}
    }

    final String name;
    private final EmbeddedPostgres postgres;

    private BenchDatabase(String name, EmbeddedPostgres postgres) {
        this.name = name;
        this.postgres = postgres;
    }

    static BenchDatabase h2() {
        return new BenchDatabase("H2", null);
    }

    static BenchDatabase postgres() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench-pg").toAbsolutePath());
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setOverrideWorkingDirectory(dir.toFile())
                .setServerConfig("max_connections", "300")
                .setPGStartupWait(Duration.ofSeconds(60))
                .start();
        return new BenchDatabase("PostgreSQL", pg);
    }

    /** A fresh database for one server ({@code label}: its mode). */
    Handle create(String label, Path dataDir) throws Exception {
        if (postgres == null) {
            String url = "jdbc:h2:file:" + dataDir.resolve("h2").resolve("fhir") + ";TRACE_LEVEL_FILE=0";
            return new Handle() {
                @Override
                public List<String> serverArgs() {
                    return List.of();
                }

                @Override
                public Connection connect() throws Exception {
                    return DriverManager.getConnection(url, "sa", "");
                }
            };
        }
        String db = "bench_" + label;
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("drop database if exists " + db);
            s.execute("create database " + db);
        }
        String url = postgres.getJdbcUrl("postgres", db);
        return new Handle() {
            @Override
            public List<String> serverArgs() {
                return List.of(
                        "--spring.datasource.url=" + url,
                        "--spring.datasource.username=postgres",
                        "--spring.datasource.password=");
            }

            @Override
            public Connection connect() throws Exception {
                return DriverManager.getConnection(url, "postgres", "");
            }

            @Override
            public void analyze() throws Exception {
                try (Connection c = connect();
                        Statement s = c.createStatement()) {
                    s.execute("analyze");
                }
            }
        };
    }

    /**
     * Write-to-chain lag (ms) of the resource versions written in [from, to): from the outbox row, inserted in the
     * write's own transaction, to the writer seeing its receipt.
     */
    static List<Double> writeLags(Handle db, long from, long to) throws Exception {
        List<Double> out = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement s = c.prepareStatement(
                        "select confirmed_at - created_at from fl_outbox"
                                + " where kind = 'RECORD' and confirmed_at is not null and created_at >= ? and created_at < ?")) {
            s.setLong(1, from);
            s.setLong(2, to);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) out.add((double) r.getLong(1));
            }
        }
        return out;
    }

    /**
     * Access-to-chain lag (ms) of the accesses answered in [from, to): from the durable audit record, committed
     * before the answer, to the receipt of its AuditEvent's access-ledger entry (so the materialiser's wait and work
     * count too). The AuditEvent's id names its record ({@code audit-<record id>}).
     */
    static List<Double> accessLags(Handle db, long from, long to) throws Exception {
        java.util.Map<String, Long> answeredAt = new java.util.HashMap<>();
        List<Double> out = new ArrayList<>();
        try (Connection c = db.connect()) {
            try (PreparedStatement s = c.prepareStatement(
                    "select id, recorded_at from fl_audit_record where recorded_at >= ? and recorded_at < ?")) {
                s.setLong(1, from);
                s.setLong(2, to);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) answeredAt.put(AuditRecord.eventIdOf(r.getLong(1)), r.getLong(2));
                }
            }
            try (PreparedStatement s = c.prepareStatement("select res_id, confirmed_at from fl_outbox"
                    + " where kind = 'ACCESS' and confirmed_at is not null and created_at >= ?")) {
                s.setLong(1, from);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        Long at = answeredAt.get(r.getString(1));
                        if (at != null) out.add((double) (r.getLong(2) - at));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (postgres != null) postgres.close();
    }
}
