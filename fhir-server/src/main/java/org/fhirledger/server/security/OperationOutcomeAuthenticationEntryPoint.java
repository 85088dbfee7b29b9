package org.fhirledger.server.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.fhirledger.server.web.OperationOutcomeResponses;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.web.AuthenticationEntryPoint;

/**
 * 401 for a missing or invalid bearer token: the standard {@code WWW-Authenticate: Bearer} header (RFC 6750,
 * with the error when a token was sent) and a FHIR OperationOutcome with issue code {@code login}.
 */
final class OperationOutcomeAuthenticationEntryPoint implements AuthenticationEntryPoint {

    private final BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        bearer.commence(request, response, e);
        String diagnostics;
        if (e instanceof OAuth2AuthenticationException oauth) {
            String reason = oauth.getError().getDescription();
            diagnostics = "Bearer token rejected" + (reason == null ? "" : ": " + reason);
        } else {
            diagnostics = "Authentication required: send an OAuth2 bearer token (Authorization: Bearer <token>)";
        }
        OperationOutcomeResponses.write(response, HttpServletResponse.SC_UNAUTHORIZED, "login", diagnostics);
    }
}
