package org.fhirledger.anchor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;

/**
 * The fields of a {@code $verify} answer (a FHIR Parameters resource) that a verifier needs, read with Jackson
 * alone (no HAPI). Parameter names are the contract between the server and any verifier; docs/verification.md lists
 * them. 64-bit numbers are {@code valueString} decimal digits (FHIR's {@code integer} is 32-bit), hashes and
 * pseudonyms {@code 0x}-hex, the inclusion proof the {@code hash} parts of {@code inclusionProof}, leaf to root.
 */
public final class VerifyOutput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> values;
    private final List<Bytes32> proof;

    private VerifyOutput(Map<String, String> values, List<Bytes32> proof) {
        this.values = values;
        this.proof = proof;
    }

    public static VerifyOutput parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (root == null || !"Parameters".equals(root.path("resourceType").asText())) {
            throw new IllegalArgumentException("not a FHIR Parameters resource (the output of $verify)");
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<Bytes32> proof = new ArrayList<>();
        for (JsonNode p : root.path("parameter")) {
            String name = p.path("name").asText();
            if (name.equals("inclusionProof")) {
                for (JsonNode part : p.path("part")) {
                    if (part.path("name").asText().equals("hash")) proof.add(Bytes32.fromHex(strip(text(part))));
                }
                continue;
            }
            String v = text(p);
            if (v != null && !values.containsKey(name)) values.put(name, v);
        }
        return new VerifyOutput(values, List.copyOf(proof));
    }

    private static String text(JsonNode p) {
        var fields = p.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            if (f.getKey().startsWith("value")) return f.getValue().asText();
        }
        return null;
    }

    public String get(String name) {
        String v = values.get(name);
        if (v == null) throw new IllegalArgumentException("the $verify output has no \"" + name + "\" parameter");
        return v;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String status() {
        return values.getOrDefault("status", "");
    }

    public long number(String name) {
        try {
            return Long.parseLong(get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter \"" + name + "\" is not a number: " + get(name));
        }
    }

    public Bytes32 bytes32(String name) {
        return Bytes32.fromHex(get(name));
    }

    public Bytes32 hash(String name) {
        return Bytes32.fromHex(strip(get(name)));
    }

    public byte[] bytes(String name) {
        return HexFormat.of().parseHex(strip(get(name)));
    }

    public List<Bytes32> inclusionProof() {
        return proof;
    }

    /** The leaf's entry bytes, rebuilt from the answer's fields ({@link LedgerLeaf} layout). */
    public byte[] leafBytes() {
        return switch (LedgerEvent.Lane.ofCode(get("lane"))) {
            case RECORD ->
                LedgerLeaf.record(
                        number("seq"),
                        bytes32("resource"),
                        number("version"),
                        bytes32("patient"),
                        bytes32("contentHash"),
                        bytes("cid"),
                        get("custodian"));
            case ACCESS ->
                LedgerLeaf.access(
                        number("seq"),
                        bytes32("patient"),
                        bytes32("resource"),
                        get("actor"),
                        (int) number("action"),
                        (int) number("outcome"),
                        number("time"),
                        bytes32("auditHash"));
        };
    }

    static String strip(String hex) {
        return hex.startsWith("0x") ? hex.substring(2) : hex;
    }
}
