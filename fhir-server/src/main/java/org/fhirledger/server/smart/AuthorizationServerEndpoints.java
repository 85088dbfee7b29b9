package org.fhirledger.server.smart;

import java.util.List;

/**
 * Where a SMART app finds the authorisation server that issues this server's tokens, and what it supports:
 * from the embedded authorisation server (dev) or the configured OIDC issuer's discovery document (production).
 * Optional endpoints are null when the server has none.
 */
public record AuthorizationServerEndpoints(
        String issuer,
        String authorizationEndpoint,
        String tokenEndpoint,
        String jwksUri,
        String revocationEndpoint,
        String introspectionEndpoint,
        String userinfoEndpoint,
        List<String> grantTypes,
        List<String> tokenEndpointAuthMethods,
        List<String> tokenEndpointAuthSigningAlgs,
        List<String> codeChallengeMethods) {}
