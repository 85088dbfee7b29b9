package org.fhirledger.server.fhir;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * H2 writes a commit to its file up to WRITE_DELAY (500 ms by default) after acknowledging it, so a process killed
 * meanwhile loses writes its clients were told are stored. Every connection to an H2 database therefore starts with
 * {@code SET WRITE_DELAY 0} (each commit is written before it returns; a database-wide setting, renewed should the
 * database be closed and opened again), whatever the JDBC URL says. A killed process then loses nothing committed;
 * a power cut may still, as H2 does not sync its file at each commit (PostgreSQL does).
 */
final class H2DurableCommits implements BeanPostProcessor {

    static final String SQL = "SET WRITE_DELAY 0";

    @Override
    public Object postProcessBeforeInitialization(Object bean, String name) {
        if (bean instanceof HikariDataSource ds
                && ds.getJdbcUrl() != null
                && ds.getJdbcUrl().startsWith("jdbc:h2:")
                && ds.getConnectionInitSql() == null) {
            ds.setConnectionInitSql(SQL);
        }
        return bean;
    }
}
