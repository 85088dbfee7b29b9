package org.fhirledger.server.testing;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/** The embedded default exactly as bin/run uses it (H2 file under the data directory), in a fresh data directory. */
public class H2FileInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        TestPropertyValues.of("data-dir=" + PostgresInitializer.freshDataDir("h2"))
                .applyTo(context);
    }
}
