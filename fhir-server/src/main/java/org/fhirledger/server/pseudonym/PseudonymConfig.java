package org.fhirledger.server.pseudonym;

import java.nio.file.Path;
import org.fhirledger.crypto.Pseudonymizer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The pseudonym secret: {@code ${data-dir}/keys/pseudonym-secret.json} (owner-only, generated on first start).
 * Every replica of one institution must share it (same data directory volume or the same file), otherwise the
 * records they write cannot be found by one another.
 */
@Configuration
public class PseudonymConfig {

	@Bean
	public Pseudonyms pseudonyms(@Value("${data-dir}") String dataDir) {
		return new Pseudonyms(Pseudonymizer.fromDataDir(Path.of(dataDir).toAbsolutePath().normalize()));
	}
}
