package org.fhirledger.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Thin: HAPI's strict parser reports an unknown or invalid element when it reads its content, so an element with no
 * content to read (an empty array, an array holding only empty arrays, a null) would be dropped silently and the
 * rest stored. FHIR JSON has none of these shapes (arrays are never empty and never directly inside arrays; null
 * appears only inside arrays), so a JSON body holding one is refused (400) before HAPI parses it. JSON Patch bodies
 * are not FHIR JSON and are left to HAPI.
 */
@Interceptor
public class JsonShapeCheck {

    private static final JsonFactory JSON = new JsonFactory();

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public boolean beforeHandling(RequestDetails request) {
        String contentType = request.getHeader("Content-Type");
        if (contentType == null) return true;
        String type = contentType.toLowerCase(Locale.ROOT);
        if (type.contains("json-patch") || !type.contains("json")) return true;
        byte[] body = request.loadRequestContents();
        if (body == null || body.length == 0) return true;
        String problem = problemIn(body);
        if (problem != null) throw new InvalidRequestException("The body is not valid FHIR JSON: " + problem);
        return true;
    }

    /** The first shape FHIR JSON does not allow, or null (syntax errors are left to HAPI's parser). */
    static String problemIn(byte[] body) {
        Deque<Boolean> inArray = new ArrayDeque<>();
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken previous = null;
            for (JsonToken t = p.nextToken(); t != null; previous = t, t = p.nextToken()) {
                boolean parentIsArray = Boolean.TRUE.equals(inArray.peek());
                switch (t) {
                    case START_ARRAY -> {
                        if (parentIsArray) return "an array directly inside an array";
                        inArray.push(true);
                    }
                    case END_ARRAY -> {
                        if (previous == JsonToken.START_ARRAY) return "an empty array";
                        inArray.pop();
                    }
                    case START_OBJECT -> inArray.push(false);
                    case END_OBJECT -> inArray.pop();
                    case VALUE_NULL -> {
                        if (!parentIsArray) return "a null value outside an array";
                    }
                    default -> {}
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
