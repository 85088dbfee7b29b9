package org.fhirledger.record;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;

/**
 * The canonical form of a FHIR resource version whose SHA-256 goes on the record ledger, and that anyone holding
 * the JSON (the server on write and on read, the standalone verifier with a resource fetched from the API) can
 * recompute without HAPI:
 * <ul>
 *   <li>object keys sorted by their UTF-16 code units, no whitespace, strings escaped as Jackson does;</li>
 *   <li>numbers kept exactly as written (FHIR decimals carry precision: {@code 1.50} is not {@code 1.5});</li>
 *   <li>{@code meta.versionId} and {@code meta.lastUpdated} removed (the version is part of the ledger key, the
 *       timestamp is the server's), and so are {@code meta.tag}/{@code meta.security} codings of
 *       {@link #LEDGER_TAG_SYSTEM}, which the server adds when serving; a {@code meta} or array left empty goes.</li>
 * </ul>
 */
public final class CanonicalResource {

    /** Coding system of the tags the server adds when serving (e.g. "pending"); never part of the hash. */
    public static final String LEDGER_TAG_SYSTEM = "https://fhir-ledger.org/CodeSystem/ledger-status";

    // Big decimals keep the literal digits and scale; duplicate keys are refused, not silently merged.
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private CanonicalResource() {}

    /** The canonical UTF-8 bytes of a resource's JSON. */
    public static byte[] canonicalize(byte[] resourceJson) {
        JsonNode root;
        try {
            root = MAPPER.readTree(resourceJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON resource: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON resource: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("resourceType").isTextual()) {
            throw new IllegalArgumentException("not a FHIR resource: a JSON object with a resourceType is needed");
        }
        ObjectNode copy = ((ObjectNode) root).deepCopy();
        stripServerMeta(copy);
        ByteArrayOutputStream out = new ByteArrayOutputStream(resourceJson.length);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
            write(g, copy);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write canonical JSON", e);
        }
        return out.toByteArray();
    }

    /** SHA-256 of {@link #canonicalize}: the content hash recorded on chain. */
    public static Bytes32 contentHash(byte[] resourceJson) {
        try {
            return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(canonicalize(resourceJson)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static void stripServerMeta(ObjectNode resource) {
        if (!(resource.get("meta") instanceof ObjectNode meta)) return;
        meta.remove("versionId");
        meta.remove("lastUpdated");
        for (String list : List.of("tag", "security")) {
            if (meta.get(list) instanceof ArrayNode codings) {
                for (Iterator<JsonNode> it = codings.elements(); it.hasNext(); ) {
                    if (LEDGER_TAG_SYSTEM.equals(it.next().path("system").asText(null))) it.remove();
                }
                if (codings.isEmpty()) meta.remove(list);
            }
        }
        if (meta.isEmpty()) resource.remove("meta");
    }

    private static void write(JsonGenerator g, JsonNode node) throws IOException {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            node.fields().forEachRemaining(fields::add);
            fields.sort(Map.Entry.comparingByKey()); // String.compareTo: UTF-16 code units, as RFC 8785
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> f : fields) {
                g.writeFieldName(f.getKey());
                write(g, f.getValue());
            }
            g.writeEndObject();
        } else if (node.isArray()) {
            g.writeStartArray();
            for (JsonNode e : node) write(g, e);
            g.writeEndArray();
        } else if (node.isBigDecimal()) {
            g.writeNumber(node.decimalValue().toPlainString());
        } else {
            g.writeTree(node);
        }
    }
}
