package org.fhirledger.server.smart.dev;

import java.util.List;
import org.fhirledger.server.smart.AuthorizationServerEndpoints;
import org.fhirledger.server.smart.AuthorizationServerLocator;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;

/** Dev mode: the embedded authorisation server, at the address the request came to. */
final class EmbeddedAuthorizationServer implements AuthorizationServerLocator {

    private final AuthorizationServerSettings settings;

    EmbeddedAuthorizationServer(AuthorizationServerSettings settings) {
        this.settings = settings;
    }

    @Override
    public AuthorizationServerEndpoints endpoints(String serverBase) {
        return new AuthorizationServerEndpoints(
                serverBase,
                serverBase + settings.getAuthorizationEndpoint(),
                serverBase + settings.getTokenEndpoint(),
                serverBase + settings.getJwkSetEndpoint(),
                serverBase + settings.getTokenRevocationEndpoint(),
                serverBase + settings.getTokenIntrospectionEndpoint(),
                serverBase + settings.getOidcUserInfoEndpoint(),
                List.of("authorization_code", "refresh_token", "client_credentials"),
                List.of("none", "private_key_jwt"),
                List.of("RS384", "ES384"),
                List.of("S256"));
    }
}
