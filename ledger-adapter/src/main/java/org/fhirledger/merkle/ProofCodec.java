package org.fhirledger.merkle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;

/**
 * JSON form of proofs for the {@code $verify} API, in the shape of Sigstore Rekor's inclusion proof:
 * {@code {"logIndex", "treeSize", "rootHash", "hashes": [...]}}; consistency proofs use
 * {@code {"firstSize", "treeSize", "firstRootHash", "rootHash", "hashes": [...]}}.
 * Hashes are hex (Rekor's REST API) or standard Base64 (protobuf JSON), chosen by the caller.
 *
 * <p>Parsing is strict (unknown or missing fields, wrong lengths are errors), since the input is untrusted.
 * The roots in a parsed proof are the server's claims: a verifier compares them with the anchored root.
 */
public final class ProofCodec {

    /** How hashes are written in JSON. */
    public enum Encoding {
        HEX,
        BASE64
    }

    /** An inclusion proof with the root of the tree it is for. */
    public record RootedInclusionProof(InclusionProof proof, Bytes32 rootHash) {}

    /** A consistency proof with the roots of both trees. */
    public record RootedConsistencyProof(ConsistencyProof proof, Bytes32 firstRootHash, Bytes32 rootHash) {}

    // Duplicate keys and trailing content are rejected: ambiguous input must not be resolved silently.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> INCLUSION_FIELDS = Set.of("logIndex", "treeSize", "rootHash", "hashes");
    private static final Set<String> CONSISTENCY_FIELDS =
            Set.of("firstSize", "treeSize", "firstRootHash", "rootHash", "hashes");

    private ProofCodec() {}

    public static String toJson(InclusionProof proof, Bytes32 rootHash, Encoding encoding) {
        ObjectNode o = JSON.createObjectNode();
        o.put("logIndex", proof.leafIndex());
        o.put("treeSize", proof.treeSize());
        o.put("rootHash", encode(rootHash, encoding));
        o.set("hashes", hashArray(proof.hashes(), encoding));
        return o.toString();
    }

    public static String toJson(ConsistencyProof proof, Bytes32 firstRootHash, Bytes32 rootHash, Encoding encoding) {
        ObjectNode o = JSON.createObjectNode();
        o.put("firstSize", proof.fromSize());
        o.put("treeSize", proof.toSize());
        o.put("firstRootHash", encode(firstRootHash, encoding));
        o.put("rootHash", encode(rootHash, encoding));
        o.set("hashes", hashArray(proof.hashes(), encoding));
        return o.toString();
    }

    public static RootedInclusionProof parseInclusion(String json, Encoding encoding) {
        JsonNode o = parseObject(json, INCLUSION_FIELDS);
        long index = nonNegativeLong(o, "logIndex");
        long size = nonNegativeLong(o, "treeSize");
        Bytes32 root = decode(o.get("rootHash"), "rootHash", encoding);
        return new RootedInclusionProof(new InclusionProof(index, size, hashes(o, encoding)), root);
    }

    public static RootedConsistencyProof parseConsistency(String json, Encoding encoding) {
        JsonNode o = parseObject(json, CONSISTENCY_FIELDS);
        long first = nonNegativeLong(o, "firstSize");
        long size = nonNegativeLong(o, "treeSize");
        Bytes32 firstRoot = decode(o.get("firstRootHash"), "firstRootHash", encoding);
        Bytes32 root = decode(o.get("rootHash"), "rootHash", encoding);
        return new RootedConsistencyProof(new ConsistencyProof(first, size, hashes(o, encoding)), firstRoot, root);
    }

    private static JsonNode parseObject(String json, Set<String> fields) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ProofFormatException("proof is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (o == null || !o.isObject()) {
            throw new ProofFormatException("proof must be a JSON object");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!fields.contains(name)) {
                throw new ProofFormatException("unexpected field \"" + name + "\" in proof");
            }
        }
        for (String name : fields) {
            if (!o.has(name)) {
                throw new ProofFormatException("missing field \"" + name + "\" in proof");
            }
        }
        return o;
    }

    private static long nonNegativeLong(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new ProofFormatException("\"" + field + "\" must be a non-negative integer, got " + v);
        }
        return v.asLong();
    }

    private static List<Bytes32> hashes(JsonNode o, Encoding encoding) {
        JsonNode a = o.get("hashes");
        if (!a.isArray()) {
            throw new ProofFormatException("\"hashes\" must be an array");
        }
        List<Bytes32> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            out.add(decode(a.get(i), "hashes[" + i + "]", encoding));
        }
        return out;
    }

    private static Bytes32 decode(JsonNode v, String field, Encoding encoding) {
        if (!v.isTextual()) {
            throw new ProofFormatException("\"" + field + "\" must be a string");
        }
        try {
            return encoding == Encoding.HEX ? Bytes32.fromHex(v.asText()) : Bytes32.fromBase64(v.asText());
        } catch (IllegalArgumentException e) {
            throw new ProofFormatException(
                    "\"" + field + "\" is not a " + encoding + " SHA-256 hash: " + e.getMessage(), e);
        }
    }

    private static String encode(Bytes32 h, Encoding encoding) {
        return encoding == Encoding.HEX ? h.toHexDigits() : h.toBase64();
    }

    private static ArrayNode hashArray(List<Bytes32> hashes, Encoding encoding) {
        ArrayNode a = JSON.createArrayNode();
        hashes.forEach(h -> a.add(encode(h, encoding)));
        return a;
    }
}
