package org.fhirledger.server.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.fhirledger.bytes.Bytes32;

/**
 * What a custodian seals to a member when it releases a patient's data key (docs/exchange.md, custodian offline): the
 * data key (a Tink keyset), the patient's pseudonym at the custodian (the key its ConsentRegistry entries are under,
 * so the member can check consent on chain itself) and the patient's resources as the custodian's resource pseudonym
 * → {@code Type/id} (the envelope's associated data names the resource, which the member cannot derive from the
 * pseudonym). Sealed, so none of it is readable on chain; the HPKE context info binds it to custodian, member, patient
 * (consortium pseudonym) and key version.
 */
record ReleasedKey(Bytes32 subject, byte[] keyset, Map<Bytes32, String> resources) {

    /** The patient's data key has one version today (no rotation of patient data keys is built). */
    static final int KEY_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    static byte[] context(String custodian, String member, Bytes32 patient, int keyVersion) {
        return ("fhirledger/key-release/v1|" + custodian.toLowerCase(Locale.ROOT) + "|"
                        + member.toLowerCase(Locale.ROOT) + "|" + patient.toHex() + "|" + keyVersion)
                .getBytes(StandardCharsets.UTF_8);
    }

    byte[] toBytes() {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", 1);
        n.put("subject", subject.toHex());
        n.put("keyset", Base64.getEncoder().encodeToString(keyset));
        ObjectNode r = n.putObject("resources");
        resources.forEach((pn, ref) -> r.put(pn.toHex(), ref));
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ReleasedKey parse(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || n.path("v").asInt() != 1)
                throw new IllegalArgumentException("unknown released key format");
            Map<Bytes32, String> resources = new LinkedHashMap<>();
            n.path("resources")
                    .fields()
                    .forEachRemaining(e -> resources.put(
                            Bytes32.fromHex(e.getKey()), e.getValue().asText()));
            return new ReleasedKey(
                    Bytes32.fromHex(n.path("subject").asText()),
                    Base64.getDecoder().decode(n.path("keyset").asText()),
                    resources);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the released key is not in the released key format", e);
        }
    }
}
