package org.fhirledger.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Writes an OperationOutcome for requests refused before HAPI sees them (HAPI writes its own otherwise).
 * Built as plain JSON so a refusal needs no FHIR context.
 */
public final class OperationOutcomeResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OperationOutcomeResponses() {}

    public static void write(HttpServletResponse response, int status, String issueCode, String diagnostics)
            throws IOException {
        ObjectNode outcome = JSON.createObjectNode();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", "error");
        issue.put("code", issueCode);
        issue.put("diagnostics", diagnostics);
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/fhir+json;charset=UTF-8");
        // The client may still be sending; tell it the connection will not be reused.
        response.setHeader("Connection", "close");
        JSON.writeValue(response.getOutputStream(), outcome);
    }
}
