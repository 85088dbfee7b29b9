package org.fhirledger.server.web;

import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.fhirledger.server.fhir.FhirRestConfig;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

@Configuration
@EnableConfigurationProperties(RequestLimitsProperties.class)
public class RequestLimitsConfig {

    @Bean
    public FilterRegistrationBean<BodySizeLimitFilter> bodySizeLimitFilter(RequestLimitsProperties limits) {
        FilterRegistrationBean<BodySizeLimitFilter> registration = new FilterRegistrationBean<>(
                new BodySizeLimitFilter(limits.maxBodySize().toBytes()));
        registration.addUrlPatterns(FhirRestConfig.FHIR_PATH + "/*");
        // After authentication (which never reads the body): an anonymous client gets its 401 before the server
        // reads, let alone buffers, a chunked body of up to the limit.
        registration.setOrder(SecurityProperties.DEFAULT_FILTER_ORDER + 10);
        return registration;
    }

    /** First of all filters, on every path: nothing parses a URL before it is known to be in normal form. */
    @Bean
    public FilterRegistrationBean<UnsafeUrlFilter> unsafeUrlFilter() {
        FilterRegistrationBean<UnsafeUrlFilter> registration = new FilterRegistrationBean<>(new UnsafeUrlFilter());
        registration.addUrlPatterns("/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * Tomcat's own error reports (requests it refuses before any filter, e.g. {@code %5c} in the path) as
     * OperationOutcomes. Runs after Spring Boot's customizer, which puts its own report valve on the host.
     */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    public WebServerFactoryCustomizer<TomcatServletWebServerFactory> operationOutcomeErrorReports() {
        return factory -> factory.addContextCustomizers(context -> {
            if (!(context.getParent() instanceof StandardHost host)) return;
            for (Valve valve : host.getPipeline().getValves()) {
                if (valve instanceof ErrorReportValve) host.getPipeline().removeValve(valve);
            }
            host.getPipeline().addValve(new OperationOutcomeErrorReportValve());
            // the host adds a valve of this class when it starts, unless one is there already
            host.setErrorReportValveClass(OperationOutcomeErrorReportValve.class.getName());
        });
    }
}
