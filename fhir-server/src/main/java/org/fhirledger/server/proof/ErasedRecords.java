package org.fhirledger.server.proof;

import java.time.Instant;
import java.util.Optional;

/**
 * When a resource was erased, if it was: {@code $verify} then answers from the ledger alone (the entry's content
 * hash, its inclusion proof), as nothing is stored to hash. Provided by the erasure feature; none without it.
 */
public interface ErasedRecords {

    ErasedRecords NONE = (type, id) -> Optional.empty();

    Optional<Instant> erasedAt(String resourceType, String id);
}
