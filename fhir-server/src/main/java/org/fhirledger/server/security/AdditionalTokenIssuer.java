package org.fhirledger.server.security;

import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * A token issuer trusted besides the configured one (the dev issuer or the IdP), such as this server's own token
 * endpoint for consortium members: a bearer token whose {@code iss} is exactly {@link #issuer()} is checked by
 * {@link #decoder()} only, every other token by the configured issuer's decoder only.
 */
public record AdditionalTokenIssuer(String issuer, JwtDecoder decoder) {}
