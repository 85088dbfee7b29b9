package org.fhirledger.server.api;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import java.net.http.HttpResponse;

/** What the API contracts need from a running server, whatever database it is on. */
public interface FhirServerUnderTest {

    FhirContext ctx();

    IGenericClient client();

    /** Base URL ending in /fhir (no trailing slash). */
    String baseUrl();

    /** Every stored resource version (HFJ_RES_VER): a write that "stored nothing" leaves it unchanged. */
    long storedVersionCount();

    HttpResponse<String> send(String method, String path, String contentType, byte[] body);

    /** Sends a request built by hand, accepting FHIR JSON, with the suites' bearer token when authenticated. */
    HttpResponse<String> exchange(java.net.http.HttpRequest.Builder request, boolean authenticated);

    /** The bearer token the suites act with, for requests built by hand. */
    String bearerToken();
}
