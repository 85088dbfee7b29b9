package org.fhirledger.server.fhir;

import java.util.Map;
import java.util.Set;

/**
 * What a feature of this server refuses although HAPI would offer it, so the CapabilityStatement leaves it out
 * ({@link CapabilityStatementTrim}): operation names (with the $) at any level, and interactions (codes such as
 * "update", "patch", "delete") per resource type. Each feature declares its own as a bean.
 */
public record RefusedCapabilities(Set<String> operations, Map<String, Set<String>> interactions) {

    public static RefusedCapabilities operations(Set<String> names) {
        return new RefusedCapabilities(names, Map.of());
    }
}
