package org.fhirledger.server.smart;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.fhirledger.server.web.OperationOutcomeResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * {@code GET /fhir/.well-known/smart-configuration}: public, like the CapabilityStatement. Its own servlet on the
 * exact path (an exact mapping wins over HAPI's {@code /fhir/*}).
 */
final class SmartConfigurationServlet extends HttpServlet {

    static final String PATH = "/fhir/.well-known/smart-configuration";
    private static final Logger log = LoggerFactory.getLogger(SmartConfigurationServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient AuthorizationServerLocator locator;

    SmartConfigurationServlet(AuthorizationServerLocator locator) {
        this.locator = locator;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        AuthorizationServerEndpoints endpoints;
        try {
            endpoints = locator.endpoints(serverBase(request));
        } catch (AuthorizationServerLocator.AuthorizationServerUnavailable e) {
            log.warn("Cannot answer the SMART configuration: {}", e.getMessage());
            response.setHeader("Retry-After", "30");
            OperationOutcomeResponses.write(
                    response,
                    503,
                    "transient",
                    "The identity provider's discovery document cannot be read now. Retry later.");
            return;
        } catch (IllegalStateException e) {
            OperationOutcomeResponses.write(response, 404, "not-found", e.getMessage());
            return;
        }
        response.setStatus(200);
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "public, max-age=300");
        JSON.writeValue(response.getOutputStream(), SmartConfigurationDocument.of(endpoints));
    }

    static String serverBase(HttpServletRequest request) {
        return ServletUriComponentsBuilder.fromContextPath(request)
                .replacePath(request.getContextPath())
                .replaceQuery(null)
                .build()
                .toUriString();
    }
}
