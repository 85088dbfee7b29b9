package org.fhirledger.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Points a Spring test context at a real PostgreSQL (one per test JVM, started on first use) and a fresh data
 * directory. Every test class that uses it shares one cached Spring context.
 */
public class PostgresInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static EmbeddedPostgres postgres;

    public static synchronized EmbeddedPostgres postgres() {
        if (postgres == null) {
            try {
                // zonky starts the real PostgreSQL binary it ships; under root it runs it in a user namespace
                // (unshare -U), since PostgreSQL refuses to run as root.
                postgres = EmbeddedPostgres.builder()
                        .setOverrideWorkingDirectory(Path.of("target", "embedded-pg")
                                .toAbsolutePath()
                                .toFile())
                        .setServerConfig("fsync", "off")
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start embedded PostgreSQL", e);
            }
        }
        return postgres;
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        EmbeddedPostgres pg = postgres();
        TestPropertyValues.of(
                        "spring.datasource.url=" + pg.getJdbcUrl("postgres", "postgres"),
                        "spring.datasource.username=postgres",
                        "spring.datasource.password=",
                        "data-dir=" + freshDataDir("pg"))
                .applyTo(context);
    }

    static String freshDataDir(String prefix) {
        try {
            Path base = Files.createDirectories(Path.of("target", "test-data").toAbsolutePath());
            return Files.createTempDirectory(base, prefix + "-").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
