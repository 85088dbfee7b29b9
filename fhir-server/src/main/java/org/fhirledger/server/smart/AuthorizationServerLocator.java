package org.fhirledger.server.smart;

/** Finds the authorisation server's endpoints for a request that reached this server at {@code serverBase}. */
public interface AuthorizationServerLocator {

    /**
     * @param serverBase scheme, host and port (and context path) the request came to, e.g. {@code http://localhost:8080}
     * @throws AuthorizationServerUnavailable when the IdP cannot be asked now
     * @throws IllegalStateException when no authorisation server is configured at all
     */
    AuthorizationServerEndpoints endpoints(String serverBase);

    /** The IdP's discovery document could not be fetched: the client should retry. */
    final class AuthorizationServerUnavailable extends RuntimeException {
        public AuthorizationServerUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
