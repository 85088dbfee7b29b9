package org.fhirledger.server.datadir;

import java.nio.file.Path;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The data directory is made owner-only before any bean is created (a bean factory post-processor runs before the
 * database or the key stores open), and everything in it once the server is ready (H2 created its files by then).
 */
@Configuration
public class DataDirConfig {

    @Bean
    public static BeanFactoryPostProcessor ownerOnlyDataDir(Environment env) {
        return factory -> {
            OwnerOnlyDataDir dataDir = new OwnerOnlyDataDir(Path.of(env.getRequiredProperty("data-dir")));
            dataDir.prepare();
            factory.registerSingleton("ownerOnlyDataDirectory", dataDir);
        };
    }

    /** The data directory every feature keeps its files in. */
    @Bean
    public DataDir dataDir(Environment env) {
        return new DataDir(Path.of(env.getRequiredProperty("data-dir")));
    }

    @Bean
    public ApplicationListener<ApplicationReadyEvent> ownerOnlyOnceReady(DataDir dataDir) {
        return ready -> new OwnerOnlyDataDir(dataDir.path()).tighten();
    }
}
