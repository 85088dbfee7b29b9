package org.fhirledger.server.version;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;

/**
 * The stored forms a request recorded for the ledger and their content hashes, kept in the request's user data: the
 * answer to a write that shows exactly those bytes need not be canonicalised and hashed again, nor its hash looked
 * up on the chain (which cannot have it yet).
 */
public final class RecordedInRequest {

    private static final String KEY = RecordedInRequest.class.getName();

    private record Recorded(byte[] storedForm, Bytes32 hash) {}

    private RecordedInRequest() {}

    public static void remember(
            RequestDetails request, String type, String id, long version, byte[] storedForm, Bytes32 hash) {
        if (request == null) return;
        versions(request).put(key(type, id, version), new Recorded(storedForm, hash));
    }

    /** The hash this request recorded for the version, if it recorded these very bytes; otherwise null. */
    public static Bytes32 hashIfSame(RequestDetails request, String type, String id, long version, byte[] shown) {
        if (request == null || !(request.getUserData().get(KEY) instanceof Map<?, ?> versions)) return null;
        if (!(versions.get(key(type, id, version)) instanceof Recorded r)) return null;
        return Arrays.equals(r.storedForm(), shown) ? r.hash() : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Recorded> versions(RequestDetails request) {
        return (Map<String, Recorded>) request.getUserData().computeIfAbsent(KEY, k -> new HashMap<String, Recorded>());
    }

    private static String key(String type, String id, long version) {
        return type + "/" + id + "/" + version;
    }
}
