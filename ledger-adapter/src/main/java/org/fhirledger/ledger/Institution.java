package org.fhirledger.ledger;

import java.util.Objects;

/**
 * A consortium member as the on-chain directory holds it: its custodian account, its Organization's business
 * identifier (e.g. {@code urn:oid:…}), its FHIR base URL and the public key (a JWK, as JSON) it authenticates
 * to other members with. Nothing here is personal data.
 */
public record Institution(String custodian, String organization, String fhirBaseUrl, String authKeyJwk) {
    public Institution {
        Objects.requireNonNull(custodian, "custodian");
        Objects.requireNonNull(organization, "organization");
        Objects.requireNonNull(fhirBaseUrl, "fhirBaseUrl");
        Objects.requireNonNull(authKeyJwk, "authKeyJwk");
    }
}
