package org.fhirledger.server.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.fhirledger.server.web.OperationOutcomeResponses;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.oauth2.server.resource.web.access.BearerTokenAccessDeniedHandler;
import org.springframework.security.web.access.AccessDeniedHandler;

/** 403 with {@code WWW-Authenticate: Bearer error="insufficient_scope"} and an OperationOutcome (code {@code forbidden}). */
final class OperationOutcomeAccessDeniedHandler implements AccessDeniedHandler {

    private final BearerTokenAccessDeniedHandler bearer = new BearerTokenAccessDeniedHandler();

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        bearer.handle(request, response, e);
        OperationOutcomeResponses.write(response, HttpServletResponse.SC_FORBIDDEN, "forbidden", "Access denied");
    }
}
