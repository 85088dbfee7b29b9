package org.fhirledger.server.security;

/**
 * Bearer-token settings, under {@code security.*}.
 *
 * @param mode               {@code dev} (default): trust only the dev issuer key in the data directory;
 *                           {@code production}: trust only the configured IdP
 * @param issuerUri          production: the IdP's issuer; tokens must carry exactly this {@code iss}. Without
 *                           {@code jwk-set-uri}, the keys are found through its OIDC discovery document
 * @param jwkSetUri          production: where the IdP publishes its signing keys (JWKS)
 * @param audience           when set, tokens must list it in {@code aud}
 * @param ledgerAddressClaim claim holding the caller's ledger (Ethereum) address, default {@code ledger_address}
 * @param fhirUserClaim      claim holding the SMART fhirUser reference, default {@code fhirUser}
 */
@org.springframework.boot.context.properties.ConfigurationProperties("security")
public record SecurityProperties(
        SecurityMode mode,
        String issuerUri,
        String jwkSetUri,
        String audience,
        String ledgerAddressClaim,
        String fhirUserClaim) {

    public SecurityProperties {
        mode = mode == null ? SecurityMode.DEV : mode;
        issuerUri = blankToNull(issuerUri);
        jwkSetUri = blankToNull(jwkSetUri);
        audience = blankToNull(audience);
        ledgerAddressClaim =
                ledgerAddressClaim == null || ledgerAddressClaim.isBlank() ? "ledger_address" : ledgerAddressClaim;
        fhirUserClaim = fhirUserClaim == null || fhirUserClaim.isBlank() ? "fhirUser" : fhirUserClaim;
        if (mode == SecurityMode.PRODUCTION && issuerUri == null && jwkSetUri == null) {
            throw new IllegalArgumentException(
                    "security.mode=production needs the IdP that signs bearer tokens: set "
                            + "security.issuer-uri (OIDC issuer, keys found by discovery) and/or security.jwk-set-uri (JWKS URL)");
        }
        if (mode == SecurityMode.DEV && (issuerUri != null || jwkSetUri != null)) {
            // Silently ignoring an IdP setting would leave an operator believing their IdP is in charge.
            throw new IllegalArgumentException("security.issuer-uri and security.jwk-set-uri apply only with "
                    + "security.mode=production; dev mode trusts only the dev issuer key in the data directory");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
