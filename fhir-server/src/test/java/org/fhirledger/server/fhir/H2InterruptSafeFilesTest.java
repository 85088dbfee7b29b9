package org.fhirledger.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A thread interrupted while it does database work must not close the embedded H2 database for everyone else. The
 * interrupt is set before a commit (which writes the file at once, WRITE_DELAY 0), so the I/O meets it every time.
 */
class H2InterruptSafeFilesTest {

    @Test
    void anInterruptedWriterLeavesTheDatabaseOpenForOthers() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "h2-interrupt-");
        try (HikariDataSource ds = dataSource("jdbc:h2:file:" + dir.resolve("h2/fhir") + ";DB_CLOSE_ON_EXIT=FALSE")) {
            assertThat(ds.getJdbcUrl()).startsWith("jdbc:h2:async:");
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("create table t (id int primary key, v varchar(100))");
            }
            for (int round = 0; round < 20; round++) {
                int id = round;
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread t = new Thread(() -> {
                    try (Connection c = ds.getConnection();
                            Statement s = c.createStatement()) {
                        Thread.currentThread().interrupt();
                        s.execute("insert into t values (" + id + ", 'interrupted')");
                    } catch (SQLException | RuntimeException e) {
                        failure.set(e); // the interrupted statement may fail: its own business
                    }
                });
                t.start();
                t.join();
                // everyone else goes on: a write and a read on another thread's connection
                try (Connection c = ds.getConnection();
                        Statement s = c.createStatement()) {
                    s.execute("insert into t values (" + (1000 + round) + ", 'other')");
                    try (var rs = s.executeQuery("select count(*) from t where v = 'other'")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getInt(1)).isEqualTo(round + 1);
                    }
                }
            }
        }
    }

    @Test
    void fileUrlsAreMovedToTheAsyncFileSystemOthersAreLeftAlone() {
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:h2:file:/d/h2/fhir;WRITE_DELAY=0"))
                .isEqualTo("jdbc:h2:async:/d/h2/fhir;WRITE_DELAY=0");
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:h2:./data/fhir")).isEqualTo("jdbc:h2:async:./data/fhir");
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:h2:async:/d/fhir")).isEqualTo("jdbc:h2:async:/d/fhir");
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:h2:mem:x")).isEqualTo("jdbc:h2:mem:x");
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:h2:tcp://h/db")).isEqualTo("jdbc:h2:tcp://h/db");
        assertThat(H2InterruptSafeFiles.interruptSafe("jdbc:postgresql://h/db")).isEqualTo("jdbc:postgresql://h/db");
    }

    /** A pool as the server builds it: the URL given, then the server's H2 post-processors. */
    static HikariDataSource dataSource(String url) {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(url);
        ds.setUsername("sa");
        ds.setPassword("");
        new H2DurableCommits().postProcessBeforeInitialization(ds, "dataSource");
        new H2InterruptSafeFiles().postProcessBeforeInitialization(ds, "dataSource");
        return ds;
    }
}
