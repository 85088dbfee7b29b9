package org.fhirledger.server.smart.dev;

import java.time.Duration;
import java.util.List;
import org.fhirledger.ledger.Role;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The embedded authorisation server (dev mode only), under {@code smart.dev-authorization-server.*}.
 *
 * @param clients         the apps that may ask for tokens; default: one public browser app, {@code smart-dev-app}
 * @param accessTokenTtl  lifetime of access tokens
 * @param refreshTokenTtl lifetime of refresh tokens (apps that asked for {@code offline_access} or
 *                        {@code online_access})
 */
@ConfigurationProperties("smart.dev-authorization-server")
public record DevAuthorizationServerProperties(
        List<Client> clients, Duration accessTokenTtl, Duration refreshTokenTtl) {

    static final List<String> ALL_SCOPES = List.of(
            "openid",
            "fhirUser",
            "launch/patient",
            "offline_access",
            "online_access",
            "patient/*.rs",
            "patient/*.cruds",
            "patient/*.read",
            "patient/*.write",
            "user/*.rs",
            "user/*.cruds",
            "user/*.read",
            "user/*.write");

    /** The web console's public client (docs/console.md), registered whatever else is configured. */
    public static final String CONSOLE_CLIENT_ID = "fhir-ledger-console";

    public DevAuthorizationServerProperties {
        clients = clients == null || clients.isEmpty()
                ? List.of(new Client(
                        "smart-dev-app",
                        List.of(
                                "http://localhost:8000/",
                                "http://localhost:9090/",
                                "http://127.0.0.1:8000/",
                                "http://localhost:3000/"),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null))
                : List.copyOf(clients);
        accessTokenTtl = accessTokenTtl == null ? Duration.ofHours(1) : accessTokenTtl;
        refreshTokenTtl = refreshTokenTtl == null ? Duration.ofHours(8) : refreshTokenTtl;
    }

    /**
     * These clients plus the web console, a public browser app whose redirect URI is the server's own root: on
     * 127.0.0.1 any port (loopback redirects may differ in port only), on localhost the server's port.
     */
    DevAuthorizationServerProperties withConsole(int serverPort) {
        if (clients.stream().anyMatch(c -> c.clientId().equals(CONSOLE_CLIENT_ID))) return this;
        List<String> redirects = serverPort > 0
                ? List.of("http://127.0.0.1/", "http://localhost:" + serverPort + "/")
                : List.of("http://127.0.0.1/");
        List<Client> all = new java.util.ArrayList<>(clients);
        all.add(new Client(CONSOLE_CLIENT_ID, redirects, null, null, null, null, null, null));
        return new DevAuthorizationServerProperties(all, accessTokenTtl, refreshTokenTtl);
    }

    /**
     * One registered app.
     *
     * @param clientId     its {@code client_id}
     * @param redirectUris where the authorisation code may be sent (exact match): a browser app (public client,
     *                     authorization code with PKCE S256). Empty for a backend service
     * @param scopes       what it may ask for; default: every SMART scope for a browser app ({@code openid},
     *                     {@code fhirUser}, {@code launch/patient}, {@code offline_access}, {@code patient/*.*},
     *                     {@code user/*.*}), {@code system/*.rs system/*.cruds} for a backend service
     * @param jwkSetUrl    a backend service (SMART Backend Services: client credentials, authenticated with a JWT
     *                     it signs, {@code private_key_jwt}): where its public keys are
     * @param signingAlg   the algorithm of its JWTs: {@code RS384} (default) or {@code ES384}
     * @param role         a backend service: the role it acts as (the dev ledger account of this role and
     *                     fhir-user gets it on chain, as bin/dev-token does)
     * @param fhirUser     a backend service: the fhirUser it acts as, optional
     * @param clientSecret a browser app that keeps a secret (a server-side web app): confidential, authenticated
     *                     with it ({@code client_secret_basic} or {@code client_secret_post}), and given refresh
     *                     tokens. Public apps (no secret) get none: Spring Authorization Server follows the OAuth
     *                     security BCP there
     */
    public record Client(
            String clientId,
            List<String> redirectUris,
            List<String> scopes,
            String jwkSetUrl,
            String signingAlg,
            Role role,
            String fhirUser,
            String clientSecret) {

        public Client {
            clientSecret = clientSecret == null || clientSecret.isBlank() ? null : clientSecret;
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException("smart.dev-authorization-server.clients[].client-id is required");
            }
            redirectUris = redirectUris == null ? List.of() : List.copyOf(redirectUris);
            jwkSetUrl = jwkSetUrl == null || jwkSetUrl.isBlank() ? null : jwkSetUrl.trim();
            if (jwkSetUrl == null && redirectUris.isEmpty()) {
                throw new IllegalArgumentException("client " + clientId + ": give redirect-uris (a browser app) "
                        + "or jwk-set-url (a backend service)");
            }
            if (jwkSetUrl != null && role == null) {
                throw new IllegalArgumentException(
                        "client " + clientId + ": a backend service needs the role it acts as");
            }
            scopes = scopes == null || scopes.isEmpty()
                    ? (jwkSetUrl != null
                            ? List.of("system/*.rs", "system/*.cruds", "system/*.read", "system/*.write")
                            : ALL_SCOPES)
                    : List.copyOf(scopes);
            signingAlg = signingAlg == null || signingAlg.isBlank() ? "RS384" : signingAlg.trim();
            if (!signingAlg.equals("RS384") && !signingAlg.equals("ES384")) {
                throw new IllegalArgumentException("client " + clientId + ": signing-alg must be RS384 or ES384");
            }
        }

        boolean backendService() {
            return jwkSetUrl != null;
        }
    }
}
