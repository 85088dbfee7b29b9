package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.test.context.ContextConfiguration;

/**
 * The consent scenario seen by those who must learn nothing about a patient: clinician A registers patient P1 and
 * records a lab value; clinician B without consent, another patient and an admin try conditional delete, update,
 * create and patch (directly, in a transaction, in a batch), chained criteria, totals, page links and refused
 * reads. Each must answer the same whether the criteria match P1's data, nothing, or several resources, and
 * store nothing. The legitimate conditional interactions of a consented clinician and of the custodian still work.
 */
@ContextConfiguration(initializers = PostgresInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConditionalInteractionsTest extends ServerTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    String custodian;
    String drA;
    String drB;
    String admin;
    String otherPatient;
    String p1;
    String p2;
    String p3;
    String labId;
    String sharedId;

    @BeforeAll
    void story() {
        custodian = bearerToken();
        admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        for (String id : List.of("dr-a", "dr-b", "dr-abs")) {
            assertThat(call(
                                    "PUT",
                                    admin,
                                    "/Practitioner/" + id,
                                    "{\"resourceType\":\"Practitioner\",\"id\":\"" + id + "\"}")
                            .statusCode())
                    .isIn(200, 201);
        }
        drA = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/dr-a");
        drB = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/dr-b");
        p1 = id(created(call(
                "POST",
                drA,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":"
                        + "\"urn:mrn\",\"value\":\"MRN-1\"}],\"name\":[{\"family\":\"Quinn\"}]}")));
        p2 = id(created(
                call("POST", drA, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Other\"}]}")));
        // a patient nobody but the custodian may see
        p3 = id(created(call(
                "POST", custodian, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Third\"}]}")));
        labId = id(created(call("POST", drA, "/Observation", lab(p1, "2339-0", 250, "lab-1"))));
        created(call("POST", drA, "/Observation", lab(p1, "718-7", 13, "lab-2")));
        created(call("POST", drA, "/Observation", lab(p1, "718-7", 14, "lab-3")));
        // in P1's and P3's compartments: dr-a may see P1's data, not this
        sharedId = id(created(call(
                "POST",
                custodian,
                "/Observation",
                lab(p1, "8867-4", 80, "shared-1")
                        .replace(
                                "\"subject\"", "\"performer\":[{\"reference\":\"Patient/" + p3 + "\"}],\"subject\""))));
        otherPatient = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + p2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // conditional interactions by those without access: same answer for "P1's data", "nothing", "several"

    @Test
    @Order(1)
    void conditionalInteractionsAnswerTheSameWhetherTheCriteriaMatchP1sDataNothingOrSeveral() {
        long versions = storedVersionCount();
        Map<String, String> scoped = new LinkedHashMap<>();
        scoped.put("one", "Observation?subject=Patient/" + p1 + "&code=2339-0");
        scoped.put("none", "Observation?subject=Patient/" + p1 + "&code=0000-0");
        scoped.put("several", "Observation?subject=Patient/" + p1);
        Map<String, String> unscoped = new LinkedHashMap<>();
        unscoped.put("one", "Observation?code=2339-0");
        unscoped.put("none", "Observation?code=0000-0");
        unscoped.put("several", "Observation?code=718-7");
        for (Map.Entry<String, String> caller : Map.of(
                        "clinician without consent", drB, "other patient", otherPatient, "admin", admin)
                .entrySet()) {
            for (String form : List.of("delete", "update", "create", "patch", "transaction", "batch")) {
                for (Map<String, String> criteria : List.of(scoped, unscoped)) {
                    List<String> answers = new ArrayList<>();
                    for (Map.Entry<String, String> c : criteria.entrySet()) {
                        HttpResponse<String> r = conditional(form, caller.getValue(), c.getValue());
                        String what = caller.getKey() + " " + form + " " + c.getKey() + ": " + r.body();
                        assertThat(r.statusCode()).as(what).isIn(403, 404);
                        assertThat(r.body())
                                .as(what)
                                .doesNotContain("Quinn")
                                .doesNotContain(labId)
                                .doesNotContain("matched");
                        answers.add(r.statusCode() + " " + shape(r));
                    }
                    assertThat(answers)
                            .as(caller.getKey() + " " + form + ": " + answers)
                            .containsOnly(answers.get(0));
                }
            }
        }
        assertThat(storedVersionCount())
                .as("nothing but AuditEvents was stored")
                .isEqualTo(versions);
        assertThat(call("GET", drA, "/Observation/" + labId, null).statusCode())
                .as("not deleted")
                .isEqualTo(200);
    }

    @Test
    @Order(2)
    void chainedCriteriaCannotRecoverALabValue() {
        long versions = storedVersionCount();
        for (String caller : List.of(drB, otherPatient, admin)) {
            List<String> answers = new ArrayList<>();
            for (String threshold : List.of("gt210", "gt990", "lt100")) {
                String url =
                        "/Observation?subject:Patient.identifier=urn:mrn|MRN-1&code=2339-0&value-quantity=" + threshold;
                HttpResponse<String> r = call("DELETE", caller, url, null);
                answers.add(r.statusCode() + " " + shape(r));
                HttpResponse<String> search = call("GET", caller, url, null);
                answers.add(search.statusCode() + " " + shape(search));
            }
            assertThat(answers.get(0)).startsWith("403");
            assertThat(answers.stream().distinct().count())
                    .as(answers.toString())
                    .isEqualTo(2);
            // a reference given as criteria is matched too: the same answer whether the MRN is registered or not
            List<String> references = new ArrayList<>();
            for (String mrn : List.of("MRN-1", "MRN-NOBODY")) {
                String observation = lab(p2, "2339-0", 1, null)
                        .replace("\"Patient/" + p2 + "\"", "\"Patient?identifier=urn:mrn|" + mrn + "\"");
                HttpResponse<String> direct = call("POST", caller, "/Observation", observation);
                HttpResponse<String> inBundle =
                        call("POST", caller, "/", bundle("transaction", "POST", "Observation", observation));
                references.add(direct.statusCode() + " " + shape(direct) + " / " + inBundle.statusCode() + " "
                        + shape(inBundle));
            }
            assertThat(references.get(0))
                    .as(references.toString())
                    .startsWith("403")
                    .isEqualTo(references.get(1));
        }
        assertThat(storedVersionCount()).isEqualTo(versions);
    }

    @Test
    @Order(3)
    void aClinicianWhoMaySeeP1ButNotTheCoOwnerOfAResourceFindsItAsIfItWereNotThere() {
        String url = "Observation?subject=Patient/" + p1 + "&code=8867-4";
        String none = "Observation?subject=Patient/" + p1 + "&code=0000-1";
        // conditional delete: "nothing deleted", as for criteria matching nothing
        HttpResponse<String> delete = call("DELETE", drA, "/" + url, null);
        HttpResponse<String> deleteNone = call("DELETE", drA, "/" + none, null);
        assertThat(delete.statusCode())
                .as(delete.body())
                .isEqualTo(deleteNone.statusCode())
                .isIn(200, 204);
        assertThat(call("GET", custodian, "/Observation/" + sharedId, null).statusCode())
                .as("still there")
                .isEqualTo(200);
        // conditional patch: no match
        HttpResponse<String> patch = patch(drA, "/" + url);
        HttpResponse<String> patchNone = patch(drA, "/" + none);
        assertThat(patch.statusCode()).as(patch.body()).isEqualTo(patchNone.statusCode());
        assertThat(shape(patch).replace("0000-1", "8867-4"))
                .isEqualTo(shape(patchNone).replace("0000-1", "8867-4"));
        // conditional create: creates, and does not tell where the hidden one is
        HttpResponse<String> create =
                createIfNoneExist(drA, url.substring(url.indexOf('?') + 1), lab(p1, "8867-4", 81, null));
        assertThat(create.statusCode()).as(create.body()).isEqualTo(201);
        assertThat(create.headers().firstValue("Location").orElse("")).doesNotContain(sharedId);
        String createdId = id(body(create));
        // conditional update: the one it created is the only match it may see
        String withIdentifier = "Observation?subject=Patient/" + p1 + "&identifier=urn:lab|shared-1";
        HttpResponse<String> update = call("PUT", drA, "/" + withIdentifier, lab(p1, "8867-4", 82, "shared-1"));
        assertThat(update.statusCode()).as(update.body()).isEqualTo(201);
        assertThat(update.body()).doesNotContain("HFJ_").doesNotContain("SQL");
        assertThat(id(body(update))).isNotEqualTo(sharedId);
        HttpResponse<String> again = createIfNoneExist(
                drA, "subject=Patient/" + p1 + "&code=8867-4&_id=" + createdId, lab(p1, "8867-4", 83, null));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(body(call("GET", custodian, "/Observation/" + sharedId, null))
                        .at("/valueQuantity/value")
                        .asInt())
                .as("the hidden one untouched")
                .isEqualTo(80);
    }

    @Test
    @Order(4)
    void theConsentedClinicianAndTheCustodianStillUseConditionalInteractions() {
        // dr-a registered P1: conditional update, create, patch and delete of P1's visible data
        String criteria = "Observation?subject=Patient/" + p1 + "&identifier=urn:lab|lab-2";
        HttpResponse<String> update = call("PUT", drA, "/" + criteria, lab(p1, "718-7", 15, "lab-2"));
        assertThat(update.statusCode()).as(update.body()).isEqualTo(200);
        HttpResponse<String> create = createIfNoneExist(
                drA, "subject=Patient/" + p1 + "&identifier=urn:lab|lab-2", lab(p1, "718-7", 16, "lab-2"));
        assertThat(create.statusCode()).as(create.body()).isEqualTo(200);
        assertThat(create.headers().firstValue("Location").orElse("")).contains("Observation/" + id(body(update)));
        assertThat(patch(drA, "/" + criteria).statusCode()).isEqualTo(200);
        HttpResponse<String> tx = call("POST", drA, "/", bundle("transaction", "DELETE", criteria, null));
        assertThat(tx.statusCode()).as(tx.body()).isEqualTo(200);
        assertThat(call("GET", drA, "/Observation/" + id(body(update)), null).statusCode())
                .isEqualTo(404);
        // the custodian: anything, chained criteria included
        HttpResponse<String> chained = call(
                "GET",
                custodian,
                "/Observation?subject:Patient.identifier=urn:mrn|MRN-1&code=2339-0&value-quantity=gt210",
                null);
        assertThat(body(chained).at("/total").asInt()).isEqualTo(1);
        HttpResponse<String> custodianUpdate = call(
                "PUT",
                custodian,
                "/Observation?subject:Patient.identifier=urn:mrn|MRN-1" + "&identifier=urn:lab|lab-3",
                lab(p1, "718-7", 17, "lab-3"));
        assertThat(custodianUpdate.statusCode()).as(custodianUpdate.body()).isEqualTo(200);
    }

    // ---------------------------------------------------------------------------------------------------------
    // counts, pages, ids

    @Test
    @Order(5)
    void totalsDescribeOnlyWhatTheCallerSees() {
        JsonNode all = body(call("GET", drA, "/Observation?subject=Patient/" + p1, null));
        assertThat(all.at("/total").asInt())
                .as(all.toString())
                .isEqualTo(all.at("/entry").size());
        assertThat(all.toString()).doesNotContain(sharedId);
        JsonNode paged =
                body(call("GET", drA, "/Observation?subject=Patient/" + p1 + "&_count=1&_total=accurate", null));
        assertThat(paged.has("total"))
                .as("several pages, some of them filtered: no total")
                .isFalse();
        JsonNode counted =
                body(call("GET", drA, "/Observation?subject=Patient/" + p1 + "&code=8867-4&_summary=count", null));
        // three of P1's Observations have that code by now, one of them hidden from dr-a
        assertThat(!counted.has("total") || counted.at("/total").asInt() == 2)
                .as(counted.toString())
                .isTrue();
        // the custodian's totals are HAPI's
        JsonNode custodians = body(call("GET", custodian, "/Observation?subject=Patient/" + p1 + "&code=8867-4", null));
        assertThat(custodians.at("/total").asInt())
                .isEqualTo(custodians.at("/entry").size());
    }

    @Test
    @Order(6)
    void aPageLinkIsTheSearchersOnly() {
        JsonNode first = body(call("GET", drA, "/Observation?subject=Patient/" + p1 + "&_count=1", null));
        String next = link(first, "next");
        assertThat(next).contains("_getpages=");
        String path = next.substring(next.indexOf("/fhir") + "/fhir".length());
        assertThat(call("GET", drA, path, null).statusCode())
                .as("the searcher pages on")
                .isEqualTo(200);
        String unknown = path.replaceAll("_getpages=[^&]+", "_getpages=8f7c7bb6-2d4e-4a53-9d4e-000000000000");
        for (String other : List.of(drB, custodian, otherPatient)) {
            HttpResponse<String> theirs = call("GET", other, path, null);
            HttpResponse<String> missing = call("GET", other, unknown, null);
            assertThat(theirs.statusCode())
                    .as(theirs.body())
                    .isEqualTo(missing.statusCode())
                    .isIn(404, 410);
            assertThat(shape(theirs).replaceAll("[0-9a-f-]{36}", "ID"))
                    .isEqualTo(shape(missing).replaceAll("[0-9a-f-]{36}", "ID"));
        }
    }

    @Test
    @Order(7)
    void aRefusedReadLooksLikeAMissingIdAndIsAuditedAsARefusal() {
        long versions = storedVersionCount();
        Map<String, String> pairs = new LinkedHashMap<>();
        pairs.put("GET /Observation/" + labId, "GET /Observation/no-such-id");
        pairs.put("GET /Observation/" + labId + "/_history/1", "GET /Observation/no-such-id/_history/1");
        pairs.put("GET /Observation/" + labId + "/_history", "GET /Observation/no-such-id/_history");
        pairs.put("GET /Patient/" + p1 + "/$everything", "GET /Patient/no-such-id/$everything");
        pairs.put("DELETE /Observation/" + labId, "DELETE /Observation/no-such-id");
        pairs.put("PUT /Observation/" + labId, "PUT /Observation/no-such-id");
        pairs.put("PATCH /Observation/" + labId, "PATCH /Observation/no-such-id");
        pairs.put("TX DELETE Observation/" + labId, "TX DELETE Observation/no-such-id");
        pairs.put("TX PUT Observation/" + labId, "TX PUT Observation/no-such-id");
        for (String caller : List.of(drB, otherPatient, admin)) {
            for (Map.Entry<String, String> pair : pairs.entrySet()) {
                HttpResponse<String> refused = as(caller, pair.getKey(), labId);
                HttpResponse<String> missing = as(caller, pair.getValue(), "no-such-id");
                assertThat(refused.statusCode())
                        .as(pair.getKey() + ": " + refused.body())
                        .isEqualTo(404);
                assertThat(missing.statusCode())
                        .as(pair.getValue() + ": " + missing.body())
                        .isEqualTo(404);
                assertThat(shape(refused).replace(labId, "X").replace(p1, "X"))
                        .isEqualTo(shape(missing).replace("no-such-id", "X"));
                assertThat(body(refused).at("/issue/0/code").asText()).isEqualTo("not-found");
            }
        }
        // and as HAPI itself answers a missing id
        HttpResponse<String> hapis = call("GET", custodian, "/Observation/no-such-id", null);
        assertThat(hapis.statusCode()).isEqualTo(404);
        assertThat(shape(hapis).replace("no-such-id", "X"))
                .isEqualTo(
                        shape(call("GET", drB, "/Observation/" + labId, null)).replace(labId, "X"));
        assertThat(storedVersionCount()).isEqualTo(versions);
        String auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);
        JsonNode audits =
                body(call("GET", auditor, "/AuditEvent?entity=Observation/" + labId + "&outcome=4&_count=100", null));
        assertThat(audits.toString()).contains("denied: ");
    }

    @Test
    @Order(8)
    void refusalsSayForbidden() {
        HttpResponse<String> r = call("GET", drB, "/Observation?subject=Patient/" + p1, null);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(body(r).at("/issue/0/code").asText()).isEqualTo("forbidden");
    }

    @Test
    @Order(9)
    void aFhirUserGivenAsAnAbsoluteUrlIsTheSameUser() {
        String absolute = DevTokens.mint(dataDir(), Role.CLINICIAN, "https://host.example/fhir/Practitioner/dr-abs");
        HttpResponse<String> r = call("GET", absolute, "/Practitioner/dr-a", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // believed as Practitioner/dr-abs: registering a patient records a Consent naming them
        String patient = id(created(call("POST", absolute, "/Patient", "{\"resourceType\":\"Patient\"}")));
        assertThat(call("GET", absolute, "/Patient/" + patient, null).statusCode())
                .isEqualTo(200);
        JsonNode consents = body(call("GET", custodian, "/Consent?patient=Patient/" + patient, null));
        assertThat(consents.at("/entry/0/resource/provision/actor/0/reference/reference")
                        .asText())
                .isEqualTo("Practitioner/dr-abs");
    }

    // ---------------------------------------------------------------------------------------------------------

    private HttpResponse<String> conditional(String form, String token, String criteria) {
        String query = criteria.substring(criteria.indexOf('?') + 1);
        return switch (form) {
            case "delete" -> call("DELETE", token, "/" + criteria, null);
            case "update" -> call("PUT", token, "/" + criteria, lab(p2, "2339-0", 1, null));
            case "create" -> createIfNoneExist(token, query, lab(p2, "2339-0", 1, null));
            case "patch" -> patch(token, "/" + criteria);
            case "transaction" -> call("POST", token, "/", bundle("transaction", "DELETE", criteria, null));
            case "batch" -> call("POST", token, "/", bundle("batch", "PUT", criteria, lab(p2, "2339-0", 1, null)));
            default -> throw new IllegalArgumentException(form);
        };
    }

    private HttpResponse<String> as(String token, String request, String id) {
        String method = request.substring(0, request.indexOf(' '));
        String path = request.substring(request.indexOf(' ') + 1);
        return switch (method) {
            case "PUT" -> call("PUT", token, path, lab(p2, "2339-0", 1, null).replace("{", "{\"id\":\"" + id + "\","));
            case "PATCH" -> patch(token, path);
            case "TX" -> {
                String verb = path.substring(0, path.indexOf(' '));
                String url = path.substring(path.indexOf(' ') + 1);
                yield call(
                        "POST",
                        token,
                        "/",
                        bundle(
                                "transaction",
                                verb,
                                url,
                                verb.equals("PUT")
                                        ? lab(p2, "2339-0", 1, null).replace("{", "{\"id\":\"" + id + "\",")
                                        : null));
            }
            default -> call(method, token, path, null);
        };
    }

    private static String lab(String patient, String code, int value, String identifier) {
        return "{\"resourceType\":\"Observation\",\"status\":\"final\","
                + (identifier == null
                        ? ""
                        : "\"identifier\":[{\"system\":\"urn:lab\",\"value\":\"" + identifier + "\"}],")
                + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" + code + "\"}]},"
                + "\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"valueQuantity\":{\"value\":" + value + ",\"unit\":\"mg/dL\"}}";
    }

    private static String bundle(String type, String method, String url, String resource) {
        return "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":[{"
                + (resource == null ? "" : "\"resource\":" + resource + ",")
                + "\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\"}}]}";
    }

    private static final String JSON_PATCH = "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"amended\"}]";

    private HttpResponse<String> patch(String token, String path) {
        return send(
                token,
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json-patch+json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON_PATCH)));
    }

    private HttpResponse<String> createIfNoneExist(String token, String query, String resource) {
        return send(
                token,
                HttpRequest.newBuilder(uri("/Observation"))
                        .header("Content-Type", "application/fhir+json")
                        .header("If-None-Exist", query)
                        .POST(HttpRequest.BodyPublishers.ofString(resource)));
    }

    private URI uri(String path) {
        return URI.create(baseUrl() + path.replace("|", URLEncoder.encode("|", StandardCharsets.UTF_8)));
    }

    private static HttpResponse<String> send(String token, HttpRequest.Builder b) {
        b.timeout(Duration.ofSeconds(60))
                .header("Accept", "application/fhir+json")
                .header("Authorization", "Bearer " + token);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What a caller could compare between answers: the resource type and the issues, without text ids. */
    private static String shape(HttpResponse<String> r) {
        JsonNode b = body(r);
        if (!"OperationOutcome".equals(b.path("resourceType").asText()))
            return b.path("resourceType").asText();
        ObjectNode copy = (ObjectNode) b.deepCopy();
        copy.remove("id");
        copy.remove("meta");
        copy.remove("text");
        return copy.toString();
    }

    private static String link(JsonNode bundle, String relation) {
        for (JsonNode l : bundle.path("link")) {
            if (relation.equals(l.path("relation").asText()))
                return l.path("url").asText();
        }
        return "";
    }

    private static String id(JsonNode resource) {
        return resource.at("/id").asText();
    }

    private static JsonNode created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r);
    }
}
