package org.fhirledger.server.smart;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The body of {@code .well-known/smart-configuration} (SMART App Launch 2.x) for an authorisation server. */
final class SmartConfigurationDocument {

    /** What this server does with tokens and scopes, whoever issues them. */
    static final List<String> CAPABILITIES = List.of(
            "launch-standalone",
            "client-public",
            "client-confidential-asymmetric",
            "context-standalone-patient",
            "permission-v2",
            "permission-v1",
            "permission-patient",
            "permission-user",
            "permission-offline",
            "sso-openid-connect");

    /** The scopes apps may ask for (resource scopes also name single types: patient/Observation.rs). */
    static final List<String> SCOPES = List.of(
            "openid",
            "fhirUser",
            "launch/patient",
            "offline_access",
            "patient/*.rs",
            "patient/*.cruds",
            "user/*.rs",
            "user/*.cruds",
            "system/*.rs",
            "system/*.cruds",
            "patient/*.read",
            "patient/*.write",
            "user/*.read",
            "user/*.write",
            "system/*.read",
            "system/*.write");

    private SmartConfigurationDocument() {}

    static Map<String, Object> of(AuthorizationServerEndpoints as) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", as.issuer());
        doc.put("jwks_uri", as.jwksUri());
        doc.put("authorization_endpoint", as.authorizationEndpoint());
        doc.put("token_endpoint", as.tokenEndpoint());
        doc.put("grant_types_supported", as.grantTypes());
        doc.put("token_endpoint_auth_methods_supported", as.tokenEndpointAuthMethods());
        doc.put("token_endpoint_auth_signing_alg_values_supported", as.tokenEndpointAuthSigningAlgs());
        doc.put("scopes_supported", SCOPES);
        doc.put("response_types_supported", List.of("code"));
        doc.put("code_challenge_methods_supported", as.codeChallengeMethods());
        doc.put("capabilities", CAPABILITIES);
        if (as.revocationEndpoint() != null) doc.put("revocation_endpoint", as.revocationEndpoint());
        if (as.introspectionEndpoint() != null) doc.put("introspection_endpoint", as.introspectionEndpoint());
        if (as.userinfoEndpoint() != null) doc.put("userinfo_endpoint", as.userinfoEndpoint());
        doc.values().removeIf(v -> v == null);
        return doc;
    }
}
