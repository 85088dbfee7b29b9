package org.fhirledger.server.smart.dev;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;

/** The registered apps, from {@link DevAuthorizationServerProperties}, as Spring Authorization Server clients. */
final class DevClients {

    private final Map<String, DevAuthorizationServerProperties.Client> byId;
    private final List<RegisteredClient> registered;

    DevClients(DevAuthorizationServerProperties settings) {
        byId = settings.clients().stream()
                .collect(Collectors.toMap(DevAuthorizationServerProperties.Client::clientId, Function.identity()));
        registered = settings.clients().stream()
                .map(c -> c.backendService() ? backend(c, settings.accessTokenTtl()) : browserApp(c, settings))
                .toList();
    }

    DevAuthorizationServerProperties.Client settings(String clientId) {
        return byId.get(clientId);
    }

    List<RegisteredClient> registered() {
        return registered;
    }

    /**
     * A browser app: authorization code with PKCE (S256 only), no consent screen in dev; public, or confidential
     * with a secret (then with refresh tokens).
     */
    private static RegisteredClient browserApp(
            DevAuthorizationServerProperties.Client c, DevAuthorizationServerProperties s) {
        RegisteredClient.Builder b = RegisteredClient.withId(
                        UUID.nameUUIDFromBytes(c.clientId().getBytes()).toString())
                .clientId(c.clientId());
        if (c.clientSecret() == null) {
            b.clientAuthenticationMethod(ClientAuthenticationMethod.NONE);
        } else {
            b.clientSecret("{noop}" + c.clientSecret()) // dev configuration in plain text anyway
                    .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                    .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_POST);
        }
        return b.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                .authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
                .redirectUris(uris -> uris.addAll(c.redirectUris()))
                .scopes(scopes -> scopes.addAll(c.scopes()))
                .clientSettings(ClientSettings.builder()
                        .requireProofKey(true)
                        .requireAuthorizationConsent(false)
                        .build())
                .tokenSettings(TokenSettings.builder()
                        .accessTokenTimeToLive(s.accessTokenTtl())
                        .refreshTokenTimeToLive(s.refreshTokenTtl())
                        .reuseRefreshTokens(false)
                        .authorizationCodeTimeToLive(Duration.ofMinutes(1))
                        .build())
                .build();
    }

    /** SMART Backend Services: client credentials, authenticated by a JWT signed with the key in its JWKS. */
    private static RegisteredClient backend(DevAuthorizationServerProperties.Client c, Duration accessTokenTtl) {
        return RegisteredClient.withId(
                        UUID.nameUUIDFromBytes(c.clientId().getBytes()).toString())
                .clientId(c.clientId())
                .clientAuthenticationMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT)
                .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                .scopes(scopes -> scopes.addAll(c.scopes()))
                .clientSettings(ClientSettings.builder()
                        .jwkSetUrl(c.jwkSetUrl())
                        .tokenEndpointAuthenticationSigningAlgorithm(SignatureAlgorithm.from(c.signingAlg()))
                        .build())
                .tokenSettings(TokenSettings.builder()
                        .accessTokenTimeToLive(
                                accessTokenTtl.compareTo(Duration.ofMinutes(5)) > 0
                                        ? Duration.ofMinutes(5)
                                        : accessTokenTtl)
                        .build())
                .build();
    }
}
