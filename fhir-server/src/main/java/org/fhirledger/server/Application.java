package org.fhirledger.server;

import org.fhirledger.server.audit.AuditConfig;
import org.fhirledger.server.authz.AuthorizationConfig;
import org.fhirledger.server.console.ConsoleConfig;
import org.fhirledger.server.datadir.DataDirConfig;
import org.fhirledger.server.dev.DevConfig;
import org.fhirledger.server.erasure.ErasureConfig;
import org.fhirledger.server.exchange.ExchangeConfig;
import org.fhirledger.server.fhir.FhirJpaConfig;
import org.fhirledger.server.fhir.FhirRestConfig;
import org.fhirledger.server.integrity.IntegrityConfig;
import org.fhirledger.server.ledger.LedgerWiringConfig;
import org.fhirledger.server.outbox.WritePipelineConfig;
import org.fhirledger.server.proof.ProofConfig;
import org.fhirledger.server.pseudonym.PseudonymConfig;
import org.fhirledger.server.scrub.ContentScrubConfig;
import org.fhirledger.server.security.SecurityConfig;
import org.fhirledger.server.smart.SmartConfig;
import org.fhirledger.server.smart.dev.DevAuthorizationServerConfig;
import org.fhirledger.server.web.RequestLimitsConfig;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.security.oauth2.server.servlet.OAuth2AuthorizationServerAutoConfiguration;
import org.springframework.boot.autoconfigure.security.oauth2.server.servlet.OAuth2AuthorizationServerJwtAutoConfiguration;
import org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The FHIR server. Each feature is one config class in the import list (no component scanning), so what
 * runs is what this list says.
 */
@SpringBootConfiguration
// Flyway is on the classpath only for HAPI's own migrator; Spring Boot must not run it against our database.
@EnableAutoConfiguration(
        exclude = {
            ElasticsearchRestClientAutoConfiguration.class,
            ThymeleafAutoConfiguration.class,
            FlywayAutoConfiguration.class,
            // the embedded authorisation server (dev mode) is configured by SmartConfig, never by Boot's defaults
            OAuth2AuthorizationServerAutoConfiguration.class,
            OAuth2AuthorizationServerJwtAutoConfiguration.class
        })
@Import({
    DataDirConfig.class,
    FhirJpaConfig.class,
    FhirRestConfig.class,
    RequestLimitsConfig.class,
    SecurityConfig.class,
    SmartConfig.class,
    DevAuthorizationServerConfig.class,
    AuditConfig.class,
    PseudonymConfig.class,
    LedgerWiringConfig.class,
    DevConfig.class,
    AuthorizationConfig.class,
    ProofConfig.class,
    WritePipelineConfig.class,
    IntegrityConfig.class,
    ErasureConfig.class,
    ContentScrubConfig.class,
    ExchangeConfig.class,
    ConsoleConfig.class
})
public class Application {

    public static void main(String[] args) {
        SpringApplication.run(Application.class, args);
    }
}
