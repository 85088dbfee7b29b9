package org.fhirledger.server.fhir;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Database settings beyond Spring's {@code spring.datasource.*}, under {@code database.*}.
 *
 * @param dialect Hibernate dialect class; empty = chosen from the JDBC URL (HAPI's H2 or PostgreSQL dialect)
 * @param schemaUpdate Hibernate {@code hbm2ddl.auto} value: {@code update} creates and extends HAPI's schema
 * @param backgroundPoolSize connections of the background pool ({@link BackgroundConnections}): one per advisory
 *     lock held (up to three on PostgreSQL) and one for the audit log's group commit
 */
@ConfigurationProperties("database")
public record DatabaseProperties(String dialect, String schemaUpdate, Integer backgroundPoolSize) {

    /** Three locks and the group commit at once: fewer, and one of them would wait for another's connection. */
    static final int MIN_BACKGROUND_POOL_SIZE = 4;

    static final String H2 = "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
    static final String POSTGRES = "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect";

    public DatabaseProperties {
        dialect = dialect == null ? "" : dialect.trim();
        schemaUpdate = schemaUpdate == null || schemaUpdate.isBlank() ? "update" : schemaUpdate.trim();
        backgroundPoolSize = backgroundPoolSize == null ? 5 : backgroundPoolSize;
        if (backgroundPoolSize < MIN_BACKGROUND_POOL_SIZE) {
            throw new IllegalArgumentException(
                    "database.background-pool-size must be at least " + MIN_BACKGROUND_POOL_SIZE);
        }
    }

    String dialectFor(DataSource dataSource) {
        if (!dialect.isEmpty()) {
            return dialect;
        }
        String url;
        try (Connection c = dataSource.getConnection()) {
            url = c.getMetaData().getURL();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot connect to the database to choose a dialect: " + e.getMessage(), e);
        }
        if (url.startsWith("jdbc:h2:")) {
            return H2;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRES;
        }
        throw new IllegalStateException("No default Hibernate dialect for JDBC URL scheme of " + url.split("[;?]")[0]
                + "; set database.dialect");
    }
}
