package org.fhirledger.server.web;

import org.fhirledger.server.fhir.FhirRestConfig;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

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
}
