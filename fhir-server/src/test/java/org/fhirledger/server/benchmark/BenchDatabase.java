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

/**
 * The database under a benchmark server: H2 (the embedded default, a file under the data directory, as bin/run)
 * or PostgreSQL (zonky's embedded server, as the tests use it, but with fsync on, as production runs it).
 */
final class BenchDatabase implements AutoCloseable {

    /** One server's database: the server's arguments, and a JDBC connection for reading its tables afterwards. */
    interface Handle {
        List<String> serverArgs();

        Connection connect() throws Exception;
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
        };
    }

    /** Write-to-chain lag (outbox commit to receipt seen, ms) of the versions created in [from, to). */
    static List<Double> lags(Handle db, long from, long to) throws Exception {
        List<Double> out = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement s = c.prepareStatement("select confirmed_at - created_at from fl_outbox"
                        + " where confirmed_at is not null and created_at >= ? and created_at < ?")) {
            s.setLong(1, from);
            s.setLong(2, to);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) out.add((double) r.getLong(1));
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (postgres != null) postgres.close();
    }
}
