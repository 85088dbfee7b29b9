package org.fhirledger.server.security;

/** Where bearer tokens come from: the dev issuer in the data directory, or the configured OIDC IdP. */
public enum SecurityMode {
    DEV,
    PRODUCTION
}
