package org.fhirledger.server.erasure;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Expunged rows leave their bytes in the embedded H2 database's file: H2 writes every change to new chunks of the
 * file, and a chunk no longer used keeps its old bytes until that space is written again. Compacting the file while
 * the server runs is not safe (H2's chunk move trips its own consistency check under concurrent use and closes the
 * database), so an erasure leaves a marker beside the database file, and the next start compacts the file with
 * {@code SHUTDOWN COMPACT} before the server opens it: the live chunks are rewritten together and the rest is cut
 * off. Other databases are left alone (PostgreSQL: docs/erasure.md).
 */
final class H2CompactionAfterErasure implements BeanPostProcessor {

    private static final Logger log = LoggerFactory.getLogger(H2CompactionAfterErasure.class);
    private static final java.util.List<String> PREFIXES = java.util.List.of("jdbc:h2:file:", "jdbc:h2:async:");

    /** Marks the database file for compaction at the next start (an H2 file database only). */
    static void request(DataSource dataSource) {
        try {
            if (!dataSource.isWrapperFor(HikariDataSource.class)) return;
            Optional<Path> marker =
                    marker(dataSource.unwrap(HikariDataSource.class).getJdbcUrl());
            if (marker.isPresent() && !Files.exists(marker.get())) Files.createFile(marker.get());
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("could not mark the H2 database file for compaction ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** {@code <database file>.compact-pending} for an H2 file URL; empty for any other database. */
    static Optional<Path> marker(String jdbcUrl) {
        String prefix = jdbcUrl == null
                ? null
                : PREFIXES.stream().filter(jdbcUrl::startsWith).findFirst().orElse(null);
        if (prefix == null) return Optional.empty();
        String rest = jdbcUrl.substring(prefix.length());
        int options = rest.indexOf(';');
        return Optional.of(Path.of((options < 0 ? rest : rest.substring(0, options)) + ".compact-pending"));
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String name) {
        if (bean instanceof HikariDataSource ds) {
            marker(ds.getJdbcUrl()).filter(Files::exists).ifPresent(m -> compact(ds, m));
        }
        return bean;
    }

    private static void compact(HikariDataSource ds, Path marker) {
        try (Connection c = DriverManager.getConnection(ds.getJdbcUrl(), ds.getUsername(), ds.getPassword());
                Statement s = c.createStatement()) {
            s.execute("SHUTDOWN COMPACT");
            Files.delete(marker);
            log.info("H2 database file compacted after an erasure");
        } catch (SQLException | IOException e) {
            // the class only: database messages can quote values; the marker stays for the next start
            log.warn(
                    "compacting the H2 database file after an erasure failed ({}); it is tried again at the next start",
                    e.getClass().getSimpleName());
        }
    }
}
