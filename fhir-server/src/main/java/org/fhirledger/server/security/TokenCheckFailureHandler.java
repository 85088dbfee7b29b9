package org.fhirledger.server.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.fhirledger.server.web.OperationOutcomeResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;

/**
 * When a sent token could not be checked. A bad token is the caller's fault: 401 via the entry point. An IdP
 * that cannot be reached (JWKS or discovery fetch failed) is not: 503 with an OperationOutcome, so clients
 * retry instead of discarding a good token, and never Spring's default 500.
 */
final class TokenCheckFailureHandler implements AuthenticationFailureHandler {

    private static final Logger log = LoggerFactory.getLogger(TokenCheckFailureHandler.class);

    private final AuthenticationEntryPoint entryPoint;

    TokenCheckFailureHandler(AuthenticationEntryPoint entryPoint) {
        this.entryPoint = entryPoint;
    }

    @Override
    public void onAuthenticationFailure(
            HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException, jakarta.servlet.ServletException {
        if (e instanceof AuthenticationServiceException) {
            // The message names the IdP URL and the I/O failure, never the token.
            log.warn(
                    "Cannot check a bearer token: {}",
                    e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            response.setHeader("Retry-After", "30");
            OperationOutcomeResponses.write(
                    response,
                    HttpServletResponse.SC_SERVICE_UNAVAILABLE,
                    "transient",
                    "The bearer token cannot be checked now: the identity provider is unreachable. Retry later.");
            return;
        }
        entryPoint.commence(request, response, e);
    }
}
