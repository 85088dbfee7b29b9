package org.fhirledger.server.outbox;

import java.nio.charset.StandardCharsets;

/**
 * What the ledger records for a delete version: the canonical JSON
 * {@code {"deleted":true,"id":"<id>","resourceType":"<Type>"}} (keys already in canonical order, no whitespace),
 * encrypted like any version. Its content hash is {@code CanonicalResource.contentHash} of these bytes, so anyone
 * who knows the id can recompute it; the ledger entry says "this resource was deleted at this version".
 */
public final class Tombstone {

	private Tombstone() {}

	public static byte[] json(String resourceType, String id) {
		// Type and id are FHIR names and ids ([A-Za-z0-9\-.]): nothing to escape.
		return ("{\"deleted\":true,\"id\":\"" + id + "\",\"resourceType\":\"" + resourceType + "\"}")
				.getBytes(StandardCharsets.UTF_8);
	}
}
