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

	@Bean
	public ApplicationListener<ApplicationReadyEvent> ownerOnlyOnceReady(Environment env) {
		return ready -> new OwnerOnlyDataDir(Path.of(env.getRequiredProperty("data-dir"))).tighten();
	}
}
