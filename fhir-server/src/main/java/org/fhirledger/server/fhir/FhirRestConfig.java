package org.fhirledger.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.ResponseHighlighterInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.web.server.WebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The FHIR REST API at {@code /fhir}: every R4 resource type HAPI's JPA layer stores, plus system operations. */
@Configuration
public class FhirRestConfig {

    public static final String FHIR_PATH = "/fhir";

    @Bean
    public RestfulServer fhirRestfulServer(
            FhirContext fhirContext,
            FhirProperties fhir,
            IFhirSystemDao<?, ?> systemDao,
            ResourceProviderFactory resourceProviders,
            JpaSystemProvider<?, ?> systemProvider,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport,
            DatabaseBackedPagingProvider pagingProvider,
            ObjectProvider<RefusedCapabilities> refused) {
        // Lenient parsing would drop an invalid code (e.g. Patient.gender "x") and store the rest: refuse instead.
        fhirContext.setParserErrorHandler(new StrictErrorHandler());

        RestfulServer server = new RestfulServer(fhirContext);
        server.setServerName("fhir-ledger");
        String version = FhirRestConfig.class.getPackage().getImplementationVersion();
        server.setServerVersion(version == null ? "development" : version);
        server.registerProviders(resourceProviders.createProviders());
        server.registerProvider(systemProvider);
        JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
                server, systemDao, storageSettings, searchParamRegistry, validationSupport);
        capabilities.setImplementationDescription("FHIR R4 server on a hybrid ledger");
        server.setServerConformanceProvider(capabilities);
        server.setPagingProvider(pagingProvider);
        server.setDefaultResponseEncoding(EncodingEnum.JSON);
        server.setServerAddressStrategy(
                fhir.serverAddress().isEmpty()
                        ? new IncomingRequestAddressStrategy()
                        : new HardcodedServerAddressStrategy(fhir.serverAddress()));
        server.registerInterceptor(new ResponseHighlighterInterceptor());
        server.registerInterceptor(new IfMatchPreconditionFailed());
        // a database failure never shows its text (values, SQL) to the client or the log; each failure logs one line
        server.registerInterceptor(new DatabaseErrors());
        server.registerInterceptor(new RequestFailureLog());
        RequestValuesStayOutOfTheLog.install();
        // The strict parser never sees an element without content: refuse those shapes before it runs.
        server.registerInterceptor(new JsonShapeCheck());
        server.registerInterceptor(
                new CapabilityStatementTrim(() -> refused.orderedStream().toList()));
        return server;
    }

    /** HAPI refuses $expunge (405) unless {@code fhir.expunge-enabled}. */
    @Bean
    public RefusedCapabilities expungeWhenDisabled(FhirProperties fhir) {
        return RefusedCapabilities.operations(fhir.expungeEnabled() ? Set.of() : Set.of("$expunge"));
    }

    /**
     * Freezes the bean definitions when Spring Boot creates the embedded web server, as it would a moment later anyway.
     * Collecting the servlets builds the RestfulServer, and with it every HAPI DAO and the JPA layer, before Spring's own
     * freeze; until then every bean-type lookup scans all ~2,000 bean definitions (HAPI's DaoRegistry makes one per DAO,
     * repeatedly), which took a third of the start-up. No bean definition is added after this point.
     */
    @Bean
    public static WebServerFactoryCustomizer<WebServerFactory> freezeBeanDefinitionsBeforeTheServlets(
            ConfigurableListableBeanFactory beanFactory) {
        return factory -> beanFactory.freezeConfiguration();
    }

    @Bean
    public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer server) {
        ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(server, FHIR_PATH + "/*");
        registration.setName("fhir");
        registration.setLoadOnStartup(1);
        return registration;
    }
}
