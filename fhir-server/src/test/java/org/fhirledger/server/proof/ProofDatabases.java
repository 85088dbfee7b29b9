package org.fhirledger.server.proof;

import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.fhirledger.server.testing.PostgresInitializer;
import org.h2.jdbcx.JdbcDataSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** A fresh, empty database with the proof tables: H2 in memory or a new database on the embedded PostgreSQL. */
final class ProofDatabases {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    record Db(DataSource dataSource, JdbcTemplate jdbc, TransactionTemplate tx) {
        ProofLog log() {
            return new ProofLog(new JdbcHashStore(jdbc, tx));
        }
    }

    private ProofDatabases() {}

    static Db fresh(String kind) throws Exception {
        String name = "proofs" + COUNTER.incrementAndGet() + "_" + System.nanoTime();
        DataSource ds;
        if (kind.equals("h2")) {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
            ds = h2;
        } else {
            var pg = PostgresInitializer.postgres();
            try (Connection c = pg.getPostgresDatabase().getConnection();
                    Statement s = c.createStatement()) {
                s.execute("create database " + name);
            }
            ds = pg.getDatabase("postgres", name);
        }
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        ProofSchema.create(jdbc);
        ProofSchema.create(jdbc); // idempotent
        return new Db(ds, jdbc, new TransactionTemplate(new DataSourceTransactionManager(ds)));
    }
}
