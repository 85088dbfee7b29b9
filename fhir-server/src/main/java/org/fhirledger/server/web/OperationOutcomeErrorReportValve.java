package org.fhirledger.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's last word on a request that no servlet answered: a URL Tomcat itself refuses before mapping it to the
 * application (an encoded {@code \} or {@code /}, a path that does not normalise) gets its 400 from the host's error
 * report valve, which writes an HTML page naming the server. This one writes an OperationOutcome instead, with a
 * fixed text per status and nothing from the request.
 */
public class OperationOutcomeErrorReportValve extends ErrorReportValve {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0) return;
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) return;
        try {
            response.setContentType("application/fhir+json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer == null) return;
            writer.write(JSON.writeValueAsString(outcome(status)));
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the client went away or the response was already on its way: nothing more to say
        }
    }

    static ObjectNode outcome(int status) {
        ObjectNode outcome = JSON.createObjectNode();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", "error");
        if (status == 400) {
            issue.put("code", "invalid");
            issue.put(
                    "diagnostics",
                    "The request URL is not valid: it holds an encoded '/' or '\\', or a path that does not"
                            + " normalise; send the path as it is meant");
        } else if (status == 404) {
            issue.put("code", "not-found");
            issue.put("diagnostics", "Nothing is served at this URL");
        } else if (status < 500) {
            issue.put("code", "invalid");
            issue.put("diagnostics", "The request was refused (HTTP " + status + ")");
        } else {
            issue.put("code", "exception");
            issue.put("diagnostics", "The server could not answer this request (HTTP " + status + ")");
        }
        return outcome;
    }
}
