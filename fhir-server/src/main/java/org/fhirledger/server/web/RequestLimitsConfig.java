package org.fhirledger.server.web;

import org.fhirledger.server.fhir.FhirRestConfig;
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
		FilterRegistrationBean<BodySizeLimitFilter> registration =
				new FilterRegistrationBean<>(new BodySizeLimitFilter(limits.maxBodySize().toBytes()));
		registration.addUrlPatterns(FhirRestConfig.FHIR_PATH + "/*");
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
		return registration;
	}
}
