package org.fhirledger.server.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Spring Security's {@link StrictHttpFirewall}, applied before every other filter. Spring Security applies the same
 * checks inside its filter chain, but a URL that is not in normal form ({@code /x/../fhir/Patient}) already breaks the
 * request-path parsing in front of that chain (a 500), and the chain's own rejection answers Spring's error JSON.
 * Here such a request gets a 400 with an OperationOutcome, and nothing behind this filter sees it.
 */
class UnsafeUrlFilter extends OncePerRequestFilter {
    private static final Logger log = LoggerFactory.getLogger(UnsafeUrlFilter.class);

    private final HttpFirewall firewall = new StrictHttpFirewall();

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            firewall.getFirewalledRequest(request);
        } catch (RequestRejectedException e) {
            log.info("refused a request whose URL is not in normal form"); // no request values in logs
            OperationOutcomeResponses.write(
                    response,
                    HttpServletResponse.SC_BAD_REQUEST,
                    "invalid",
                    "The request URL is not in normal form or holds characters it may not ('..', '.', '//', ';',"
                            + " an encoded '/', '\\\\' or '%', a control character): send the path as it is meant");
            return;
        }
        chain.doFilter(request, response);
    }
}
