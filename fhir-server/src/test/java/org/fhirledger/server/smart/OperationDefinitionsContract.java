package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The server's own operations in its CapabilityStatement, each with a definition on this server that resolves to an
 * OperationDefinition true to the code (where it runs, whether it changes state, its input parameters) and to what
 * the operation answers (every returned parameter is a declared output). Run against a server with every feature on
 * (the ledger, anchoring, erasure, authorisation).
 */
public final class OperationDefinitionsContract {

    /** How a test sends a request to its server: method, bearer token, path under the FHIR base, body or null. */
    public interface Http {
        HttpResponse<String> send(String method, String token, String path, String body);
    }

    /** An operation as its code declares it: where it runs, whether it changes state, and its input parameters. */
    record Declared(
            boolean system, boolean type, boolean instance, boolean affectsState, String resource, List<String> in) {}

    static final Map<String, Declared> OWN_OPERATIONS = Map.ofEntries(
            Map.entry("verify", new Declared(false, false, true, false, null, List.of())),
            Map.entry("ledger-status", new Declared(true, false, false, false, null, List.of())),
            Map.entry("break-glass", new Declared(false, false, true, true, "Patient", List.of("reason:string:1:1"))),
            Map.entry("erase", new Declared(false, false, true, true, "Patient", List.of("reason:string:1:1"))),
            Map.entry("locate", new Declared(false, false, true, false, "Patient", List.of())),
            Map.entry(
                    "fetch-remote",
                    new Declared(
                            false, false, true, false, "Patient", List.of("member:string:1:1", "_type:string:0:1"))),
            Map.entry(
                    "import-remote",
                    new Declared(
                            false, false, true, true, "Patient", List.of("member:string:1:1", "_type:string:1:1"))),
            Map.entry("verify-import", new Declared(false, false, true, false, "Provenance", List.of())),
            Map.entry(
                    "assign-role",
                    new Declared(
                            true,
                            false,
                            false,
                            true,
                            null,
                            List.of("account:string:1:1", "role:string:1:1", "fhirUser:string:1:1"))),
            Map.entry(
                    "revoke-role",
                    new Declared(true, false, false, true, null, List.of("account:string:1:1", "role:string:1:1"))),
            Map.entry("membership-request", new Declared(true, false, false, false, null, List.of())),
            Map.entry(
                    "propose-admission",
                    new Declared(
                            true,
                            false,
                            false,
                            true,
                            null,
                            List.of(
                                    "custodian:string:1:1",
                                    "organization:string:1:1",
                                    "fhirBaseUrl:uri:1:1",
                                    "authKey:string:1:1"))),
            Map.entry(
                    "approve-proposal", new Declared(true, false, false, true, null, List.of("proposal:integer:1:1"))),
            Map.entry(
                    "propose-removal", new Declared(true, false, false, true, null, List.of("custodian:string:1:1"))));

    private static final ObjectMapper JSON = new ObjectMapper();

    private OperationDefinitionsContract() {}

    /**
     * @param base       the FHIR base URL, as the server names itself
     * @param custodian  a custodian's token
     * @param clinician  a clinician's token
     * @param stored     a Patient that exists ($verify, $locate)
     * @param noConsent  a Patient the clinician has no consent for ($break-glass)
     */
    public static void check(
            Http http, String base, String custodian, String clinician, String stored, String noConsent) {
        JsonNode cs = body(http.send("GET", custodian, "/metadata", null));
        Map<String, Set<String>> definitions = new TreeMap<>();
        Consumer<JsonNode> collect = o -> definitions
                .computeIfAbsent(o.path("name").asText(), k -> new TreeSet<>())
                .add(o.path("definition").asText());
        cs.at("/rest/0/operation").forEach(collect);
        cs.at("/rest/0/resource").forEach(r -> r.path("operation").forEach(collect));
        assertThat(definitions.keySet()).containsAll(OWN_OPERATIONS.keySet());

        Map<String, JsonNode> own = new HashMap<>();
        definitions.forEach((name, urls) -> {
            for (String url : urls) {
                if (!OWN_OPERATIONS.containsKey(name) && url.startsWith("http://hl7.org/fhir/")) continue; // the spec's
                assertThat(url).as(name).startsWith(base + "/OperationDefinition/");
                HttpResponse<String> r = http.send("GET", custodian, url.substring(base.length()), null);
                assertThat(r.statusCode()).as(name + " " + url + " " + r.body()).isEqualTo(200);
                JsonNode def = body(r);
                assertThat(def.path("resourceType").asText()).isEqualTo("OperationDefinition");
                assertThat(def.path("code").asText()).as(url).isEqualTo(name);
                if (OWN_OPERATIONS.containsKey(name)) own.put(name, def);
            }
        });
        OWN_OPERATIONS.forEach((name, declared) -> {
            JsonNode def = own.get(name);
            assertThat(def.path("system").asBoolean()).as(name + " system").isEqualTo(declared.system());
            assertThat(def.path("type").asBoolean()).as(name + " type").isEqualTo(declared.type());
            assertThat(def.path("instance").asBoolean()).as(name + " instance").isEqualTo(declared.instance());
            assertThat(def.path("affectsState").asBoolean())
                    .as(name + " affectsState")
                    .isEqualTo(declared.affectsState());
            if (declared.resource() != null) {
                assertThat(texts(def.path("resource"))).as(name).containsExactly(declared.resource());
            }
            List<String> in = new ArrayList<>();
            def.path("parameter").forEach(p -> {
                if ("in".equals(p.path("use").asText())) {
                    in.add(p.path("name").asText() + ":" + p.path("type").asText() + ":"
                            + p.path("min").asText() + ":" + p.path("max").asText());
                }
            });
            assertThat(in).as(name + " in").containsExactlyInAnyOrderElementsOf(declared.in());
            assertThat(outNames(def)).as(name + " out").isNotEmpty();
            assertThat(def.path("description").asText()).as(name).isNotBlank();
        });

        // what the operations answer is what their definitions declare
        HttpResponse<String> verified = http.send("GET", custodian, "/Patient/" + stored + "/$verify", null);
        assertThat(verified.statusCode()).as(verified.body()).isEqualTo(200);
        assertThat(names(body(verified))).isSubsetOf(outNames(own.get("verify")));
        HttpResponse<String> status = http.send("GET", custodian, "/$ledger-status", null);
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        assertThat(names(body(status))).isSubsetOf(outNames(own.get("ledger-status")));
        HttpResponse<String> located = http.send("GET", custodian, "/Patient/" + stored + "/$locate", null);
        assertThat(located.statusCode()).as(located.body()).isEqualTo(200);
        assertThat(names(body(located))).isSubsetOf(outNames(own.get("locate")));
        HttpResponse<String> glass = http.send(
                "POST",
                clinician,
                "/Patient/" + noConsent + "/$break-glass",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"test\"}]}");
        assertThat(glass.statusCode()).as(glass.body()).isEqualTo(200);
        assertThat(names(body(glass))).isSubsetOf(outNames(own.get("break-glass")));
        HttpResponse<String> membership = http.send("GET", custodian, "/$membership-request", null);
        assertThat(membership.statusCode()).as(membership.body()).isEqualTo(200);
        assertThat(names(body(membership))).isSubsetOf(outNames(own.get("membership-request")));
    }

    private static List<String> names(JsonNode parameters) {
        List<String> out = new ArrayList<>();
        parameters.path("parameter").forEach(p -> out.add(p.path("name").asText()));
        return out;
    }

    private static List<String> outNames(JsonNode definition) {
        List<String> out = new ArrayList<>();
        definition.path("parameter").forEach(p -> {
            if ("out".equals(p.path("use").asText())) out.add(p.path("name").asText());
        });
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode body(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
