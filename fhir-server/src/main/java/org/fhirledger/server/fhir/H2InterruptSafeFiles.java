package org.fhirledger.server.fhir;

import com.zaxxer.hikari.HikariDataSource;
import java.util.List;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * H2's default file system does its I/O on a {@code FileChannel}, which Java closes when the thread doing the I/O is
 * interrupted; H2 then closes the whole database ("database has been closed") for every connection, until the
 * process restarts. Any thread may be interrupted while it uses the database (a HAPI job cancelled, an executor's
 * {@code cancel(true)}, a shutdown), so an embedded H2 file database is opened on H2's {@code async:} file system,
 * which does the same reads and writes, waited for before the statement returns, on threads of its own: an
 * interrupted caller gets an error for its own statement and the database stays open. Durability is unchanged (a
 * commit is written before it returns, see {@link H2DurableCommits}). Applied whatever the JDBC URL says.
 */
final class H2InterruptSafeFiles implements BeanPostProcessor {

    static final String ASYNC = "jdbc:h2:async:";
    private static final List<String> DEFAULT_FILE_SYSTEM = List.of("jdbc:h2:file:", "jdbc:h2:nio:");

    @Override
    public Object postProcessBeforeInitialization(Object bean, String name) {
        if (bean instanceof HikariDataSource ds && ds.getJdbcUrl() != null) {
            ds.setJdbcUrl(interruptSafe(ds.getJdbcUrl()));
        }
        return bean;
    }

    /** The URL of the same database on the {@code async:} file system; any other URL as it is. */
    static String interruptSafe(String url) {
        for (String prefix : DEFAULT_FILE_SYSTEM) {
            if (url.startsWith(prefix)) return ASYNC + url.substring(prefix.length());
        }
        // a bare path: jdbc:h2:/abs, jdbc:h2:./rel, jdbc:h2:~/home (every other form names a prefix or a server)
        if (url.startsWith("jdbc:h2:/") || url.startsWith("jdbc:h2:./") || url.startsWith("jdbc:h2:~")) {
            return ASYNC + url.substring("jdbc:h2:".length());
        }
        return url;
    }
}
