package org.fhirledger.server.security;

import java.util.Objects;

/**
 * The consortium member a caller acts through: a clinician of another institution whose server obtained the
 * caller's token from this one with a client assertion signed by the member's registered key (docs/exchange.md).
 *
 * @param custodian    the member's custodian account, {@code 0x} + 40 lower-case hex digits
 * @param organization the member's Organization identifier as the directory holds it
 */
public record ActingThrough(String custodian, String organization) {
    public ActingThrough {
        Objects.requireNonNull(custodian, "custodian");
        Objects.requireNonNull(organization, "organization");
    }
}
