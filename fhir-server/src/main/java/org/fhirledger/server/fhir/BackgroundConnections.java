package org.fhirledger.server.fhir;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A small connection pool of its own beside the request pool ({@code spring.datasource.*}), on the same database
 * with the same URL, credentials and connection set-up, for what must neither wait behind requests nor make them
 * wait: the PostgreSQL advisory locks the background jobs hold for as long as they run (ledger writer, anchor job,
 * audit materialiser: a session each) and the audit log's group commit, which the requests it answers wait for.
 * Sharing the request pool, the locks took connections from it for good and the group commit queued for a
 * connection behind the very requests waiting for it, so under load the pool starved itself. Not a
 * {@link DataSource} bean: Spring Boot's auto-configured DataSource stays the one everything else uses.
 */
public final class BackgroundConnections implements AutoCloseable {

    public static final String POOL_NAME = "fhir-ledger-background";

    private final HikariDataSource pool;

    private BackgroundConnections(HikariDataSource pool) {
        this.pool = pool;
    }

    /** A pool of at most {@code size} connections to the database of {@code requests} (a Hikari pool). */
    static BackgroundConnections beside(DataSource requests, int size) {
        HikariDataSource main;
        try {
            main = requests.unwrap(HikariDataSource.class);
        } catch (SQLException e) {
            throw new IllegalStateException("the request pool is not a Hikari pool: cannot open a background pool");
        }
        HikariConfig c = new HikariConfig();
        // after the request pool's post-processing (H2: its interrupt-safe URL and durable commits)
        c.setJdbcUrl(main.getJdbcUrl());
        c.setUsername(main.getUsername());
        c.setPassword(main.getPassword());
        if (main.getDriverClassName() != null) c.setDriverClassName(main.getDriverClassName());
        c.setDataSourceProperties(main.getDataSourceProperties());
        c.setConnectionInitSql(main.getConnectionInitSql());
        c.setConnectionTimeout(main.getConnectionTimeout());
        c.setValidationTimeout(main.getValidationTimeout());
        c.setPoolName(POOL_NAME);
        c.setMaximumPoolSize(size);
        // the locks keep theirs in use; one idle connection ready for the next group commit
        c.setMinimumIdle(1);
        return new BackgroundConnections(new HikariDataSource(c));
    }

    public DataSource dataSource() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
    }
}
