package org.fhirledger.ledger;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * What a patient's consent on chain allows one grantee: action bits ({@link ConsentAction}), resource-type bits
 * ({@link ResourceTypes}) and an exclusive expiry. Evaluated locally exactly as {@code ConsentRegistry.isPermitted},
 * so a cached grant stops permitting at its expiry without asking the chain again.
 */
public record ConsentGrant(int actions, BigInteger resourceTypes, long expiry) {

    public static final ConsentGrant NONE = new ConsentGrant(0, BigInteger.ZERO, 0);

    public ConsentGrant {
        Objects.requireNonNull(resourceTypes, "resourceTypes");
    }

    public boolean permits(ConsentAction action, String resourceType, Instant time) {
        return (actions & action.bit()) == action.bit()
                && time.getEpochSecond() < expiry
                && resourceTypes.testBit(ResourceTypes.bitOf(resourceType));
    }
}
