package org.fhirledger.server.pseudonym;

import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.server.datadir.DataDir;
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
    public Pseudonyms pseudonyms(DataDir dataDir) {
        return new Pseudonyms(Pseudonymizer.fromDataDir(dataDir.path()));
    }
}
