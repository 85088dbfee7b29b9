package org.fhirledger.server.exchange;

import ca.uhn.fhir.rest.server.RestfulServer;
import java.time.Clock;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The server as a consortium member (docs/exchange.md): its view of the member directory and the operations that
 * expose it. Without a directory (production without {@code exchange.directory-address}) there is nothing to show and
 * {@code $institutions} is not offered.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
public class ExchangeConfig {

    @Bean
    public ConsortiumView consortiumView(
            ObjectProvider<InstitutionDirectory> directory, Ledger ledger, ExchangeProperties exchange) {
        InstitutionDirectory d = directory.getIfAvailable();
        return d == null ? null : new ConsortiumView(d, ledger.account(), exchange.cacheTtl(), Clock.systemUTC());
    }

    @Bean
    public SmartInitializingSingleton registerInstitutionsOperation(
            RestfulServer fhirRestfulServer, ObjectProvider<ConsortiumView> consortium) {
        return () -> {
            ConsortiumView view = consortium.getIfAvailable();
            if (view != null) fhirRestfulServer.registerProvider(new InstitutionsOperation(view));
        };
    }
}
