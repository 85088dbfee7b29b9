package org.fhirledger.server.smart.dev;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.fhirledger.server.security.DevIssuer;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.oidc.endpoint.OidcParameterNames;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;

/**
 * What the embedded authorisation server puts in its tokens: the claims the resource server trusts from
 * bin/dev-token (issuer, sub, ledger_address, role, fhirUser, aud), signed ES256 with the dev issuer key, plus the
 * granted {@code scope} and the {@code patient} in context when {@code launch/patient} was granted (the one picked,
 * {@link PickedPatient}, or a patient user's own).
 */
final class DevTokenClaims implements OAuth2TokenCustomizer<JwtEncodingContext> {

    static final String PATIENT = "patient";

    private final SecurityProperties settings;
    private final DevLedgerAccounts accounts;
    private final DevClients clients;
    private final Path dataDir;

    DevTokenClaims(SecurityProperties settings, DevLedgerAccounts accounts, DevClients clients, Path dataDir) {
        this.settings = settings;
        this.accounts = accounts;
        this.clients = clients;
        this.dataDir = dataDir;
    }

    @Override
    public void customize(JwtEncodingContext context) {
        context.getJwsHeader().algorithm(SignatureAlgorithm.ES256);
        DevUser user = userOf(context.getPrincipal(), context.getRegisteredClient());
        boolean idToken =
                OidcParameterNames.ID_TOKEN.equals(context.getTokenType().getValue());
        if (idToken) {
            if (user.fhirUser() != null) context.getClaims().claim(settings.fhirUserClaim(), user.fhirUser());
            return;
        }
        if (!OAuth2TokenType.ACCESS_TOKEN.equals(context.getTokenType())) return;
        var claims = context.getClaims()
                .issuer(DevIssuer.ISSUER)
                .subject(user.subject())
                .claim(settings.ledgerAddressClaim(), accounts.address(user.role(), user.fhirUser()))
                .claim("role", user.role().name())
                // one space-separated string, as OAuth2 writes scopes
                .claim("scope", String.join(" ", context.getAuthorizedScopes()));
        if (user.fhirUser() != null) claims.claim(settings.fhirUserClaim(), user.fhirUser());
        if (settings.audience() != null) claims.audience(java.util.List.of(settings.audience()));
        Set<String> scopes = context.getAuthorizedScopes();
        if (scopes.contains(PickedPatient.LAUNCH_PATIENT)) {
            // picked in the consent step, kept on the authorisation (refreshes too); a patient user's own otherwise
            String picked = context.getAuthorization() == null
                    ? null
                    : context.getAuthorization().getAttribute(PickedPatient.ATTRIBUTE);
            String patient = picked != null ? picked : user.ownPatient();
            if (patient == null) {
                throw new OAuth2AuthenticationException(new OAuth2Error(
                        OAuth2ErrorCodes.INVALID_REQUEST,
                        "launch/patient was granted but no patient was picked",
                        null));
            }
            claims.claim(PATIENT, patient);
        }
    }

    /** The dev user who logged in, or for client credentials the backend service's configured identity. */
    private DevUser userOf(Authentication principal, RegisteredClient client) {
        if (principal != null && principal.getPrincipal() instanceof DevUser user) return user;
        DevAuthorizationServerProperties.Client c = clients.settings(client.getClientId());
        if (c == null || c.role() == null) {
            throw new OAuth2AuthenticationException(
                    new OAuth2Error(OAuth2ErrorCodes.UNAUTHORIZED_CLIENT, "this client acts for nobody", null));
        }
        try {
            accounts.ensureRole(dataDir, c.role(), c.fhirUser());
        } catch (IllegalStateException | IOException e) {
            throw new OAuth2AuthenticationException(
                    new OAuth2Error(
                            OAuth2ErrorCodes.SERVER_ERROR, "the client's role cannot be held on the local chain", null),
                    e);
        }
        return new DevUser(c.role(), c.fhirUser());
    }
}
