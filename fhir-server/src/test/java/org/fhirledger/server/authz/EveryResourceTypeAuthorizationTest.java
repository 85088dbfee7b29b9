package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeChildResourceBlockDefinition;
import ca.uhn.fhir.context.RuntimeChildResourceDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.PostgresInitializer;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;

/**
 * Every R4 resource type that can carry patient data × every way a resource can point at patient P1 × every role
 * × read, vread, history and search: no byte of P1's data (each planted resource carries a marker of its own)
 * reaches a caller who may not see it, in bodies, totals or error texts; who may see it does. Resources are built
 * from the FHIR model (the first Reference that can target Patient, or any resource, per type; an extension
 * where the type has none at the top), planted in one custodian batch.
 */
@ContextConfiguration(initializers = PostgresInitializer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EveryResourceTypeAuthorizationTest extends ServerTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FhirContext CTX = FhirContext.forR4Cached();
    private static final String MRN = "urn:test:mrn";
    /** Storable only by the custodian, with rules of their own, or P1 itself (checked on its own). */
    private static final Set<String> NOT_PLANTED =
            Set.of("Bundle", "Binary", "Subscription", "AuditEvent", "Patient", "Parameters", "OperationOutcome");

    /** Types that also get a reference by display only and one by an identifier no stored Patient has. */
    private static final Set<String> UNRESOLVED_SAMPLE = Set.of(
            "Observation", "Task", "Provenance", "Contract", "GuidanceResponse", "DocumentReference", "Group", "List");

    private static final int BATCH_SIZE = 30;

    @Autowired
    Compartments compartments;

    /** How a planted resource points at P1. */
    enum Way {
        REFERENCE(true),
        IDENTIFIER(true),
        LINKED_RESOURCE(true),
        EXPLICIT(true),
        CONTAINED_PATIENT(false),
        DISPLAY_ONLY(false),
        UNKNOWN_IDENTIFIER(false);

        final boolean resolvable;

        Way(boolean resolvable) {
            this.resolvable = resolvable;
        }
    }

    record Planted(String type, Way way, String marker, IBaseResource resource, String path) {
        Planted withId(String id) {
            return new Planted(type, way, marker, resource, type + "/" + id);
        }
    }

    String custodian;
    String drWith;
    String drWithout;
    String admin;
    String auditor;
    String p1Token;
    String p2Token;
    String p1;
    String p1Marker;
    String observationOfP1;
    String observationMarker;
    final List<Planted> planted = new ArrayList<>();
    final Set<String> allMarkers = new LinkedHashSet<>();
    final Set<String> unresolvedMarkers = new LinkedHashSet<>();

    @BeforeAll
    void plant() {
        custodian = bearerToken();
        admin = DevTokens.mint(dataDir(), Role.ADMIN, null);
        assertThat(put(admin, "/Practitioner/ev-with", "{\"resourceType\":\"Practitioner\",\"id\":\"ev-with\"}")
                        .statusCode())
                .isIn(200, 201);
        assertThat(put(admin, "/Practitioner/ev-without", "{\"resourceType\":\"Practitioner\",\"id\":\"ev-without\"}")
                        .statusCode())
                .isIn(200, 201);
        drWith = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/ev-with");
        drWithout = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/ev-without");
        auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);

        p1Marker = marker();
        allMarkers.add(p1Marker);
        p1 = created(post(
                custodian,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + MRN
                        + "\",\"value\":\"MRN-P1\"}],\"name\":[{\"family\":\"" + p1Marker + "\"}]}"));
        String p2 =
                created(post(custodian, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Two\"}]}"));
        observationMarker = marker();
        allMarkers.add(observationMarker);
        observationOfP1 = created(post(
                custodian,
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\"," + "\"code\":{\"text\":\"" + observationMarker
                        + "\"},\"subject\":{\"reference\":\"Patient/" + p1 + "\"}}"));
        p1Token = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + p1);
        p2Token = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + p2);
        HttpResponse<String> consent = post(
                p1Token,
                "/Consent",
                AuthorizationMatrixTest.consent(p1, "Practitioner/ev-with", "active")
                        .replace(
                                "\"code\":\"access\"}]}]",
                                "\"code\":\"access\"}]},{\"coding\":[{\"system\":"
                                        + "\"http://terminology.hl7.org/CodeSystem/consentaction\",\"code\":\"correct\"}]}]"));
        assertThat(consent.statusCode()).as(consent.body()).isEqualTo(201);

        Set<String> served = servedTypes();
        PatientLinks links = new PatientLinks(CTX);
        for (String type : new TreeSet<>(CTX.getResourceTypes())) {
            if (NOT_PLANTED.contains(type) || !links.canCarryPatientData(type) || !served.contains(type)) continue;
            plantEveryWay(type);
        }
        explicit(
                "Task",
                "{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\",\"description\":"
                        + "\"Call about HIV result\",\"for\":{\"reference\":\"Patient/" + p1
                        + "\",\"display\":\"%s\"}}");
        explicit(
                "Task",
                "{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\",\"owner\":"
                        + "{\"reference\":\"Patient/" + p1 + "\",\"display\":\"%s\"}}");
        explicit(
                "Task",
                "{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\",\"focus\":"
                        + "{\"reference\":\"Observation/" + observationOfP1 + "\",\"display\":\"%s\"}}");
        explicit(
                "Group",
                "{\"resourceType\":\"Group\",\"type\":\"person\",\"actual\":true,\"member\":[{\"entity\":"
                        + "{\"reference\":\"Patient/" + p1 + "\",\"display\":\"%s\"}}]}");
        explicit(
                "List",
                "{\"resourceType\":\"List\",\"status\":\"current\",\"mode\":\"working\",\"entry\":[{\"item\":"
                        + "{\"reference\":\"Patient/" + p1 + "\",\"display\":\"%s\"}}]}");
        explicit(
                "List",
                "{\"resourceType\":\"List\",\"status\":\"current\",\"mode\":\"working\",\"entry\":[{\"item\":"
                        + "{\"reference\":\"Observation/" + observationOfP1 + "\",\"display\":\"%s\"}}]}");
        explicit(
                "Provenance",
                "{\"resourceType\":\"Provenance\",\"recorded\":\"2024-01-01T00:00:00Z\",\"target\":"
                        + "[{\"reference\":\"Observation/" + observationOfP1
                        + "\",\"display\":\"%s\"}],\"agent\":[{\"who\":"
                        + "{\"reference\":\"Practitioner/ev-with\"}}]}");
        explicit(
                "Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"%s\"},"
                        + "\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"c\",\"name\":[{\"family\":\"x\"}]}],"
                        + "\"subject\":{\"reference\":\"#c\"}}",
                Way.CONTAINED_PATIENT);
        store();
    }

    @Test
    @Order(1)
    void theWholeMatrix() throws Exception {
        List<Check> checks = new ArrayList<>();
        for (String token : List.of(drWithout, p2Token, admin, auditor)) {
            checks.add(refused(token, "/Patient/" + p1));
            checks.add(refused(token, "/Patient/" + p1 + "/_history"));
            checks.add(refused(token, "/Observation/" + observationOfP1));
        }
        Map<String, List<Planted>> byType = new LinkedHashMap<>();
        for (Planted p : planted)
            byType.computeIfAbsent(p.type(), t -> new ArrayList<>()).add(p);
        for (Map.Entry<String, List<Planted>> e : byType.entrySet()) {
            String type = e.getKey();
            for (Planted p : e.getValue()) {
                String path = "/" + p.path();
                if (p.way() == Way.REFERENCE || p.way() == Way.EXPLICIT) {
                    checks.add(refused(admin, path));
                    checks.add(refused(auditor, path));
                    checks.add(refused(drWithout, path + "/_history/1"));
                    checks.add(refused(drWithout, path + "/_history"));
                    checks.add(refused(p2Token, path + "/_history"));
                }
                checks.add(refused(drWithout, path));
                checks.add(refused(p2Token, path));
                for (String token : List.of(drWith, p1Token)) {
                    if (p.way().resolvable) {
                        checks.add(shown(token, path, p.marker()));
                    } else {
                        checks.add(refused(token, path));
                        checks.add(refused(token, path + "/_history"));
                    }
                }
            }
            if (compartments.isPatientData(type)) {
                Set<String> params = compartments.patientParams(type);
                if (!"AuditEvent".equals(type)
                        && !AccessPolicy.CUSTODIAN_ONLY_TYPES.contains(type)
                        && ConditionalCriteria.ownerParam(params).isPresent()) {
                    // not naming the patient: narrowed to the patients the caller may see, nothing else shown
                    checks.add(searched(drWith, "/" + type));
                    checks.add(searched(drWith, "/" + type + "?_summary=count"));
                    checks.add(searched(p1Token, "/" + type));
                    checks.add(searched(drWithout, "/" + type + "?_total=accurate"));
                    checks.add(searched(p2Token, "/" + type));
                } else {
                    // a type whose patients no one search parameter names: refused even to those who see all of P1's
                    checks.add(refused(drWith, "/" + type));
                    checks.add(refused(drWith, "/" + type + "?_summary=count"));
                    checks.add(refused(p1Token, "/" + type));
                }
                checks.add(refused(admin, "/" + type));
                if (!params.isEmpty()) {
                    String q = "/" + type + "?" + params.iterator().next() + "=Patient/" + p1 + "&_total=accurate";
                    checks.add(refused(drWithout, q));
                    checks.add(refused(p2Token, q));
                    checks.add(searched(drWith, q));
                    checks.add(searched(p1Token, q));
                }
            }
        }
        long start = System.nanoTime();
        List<String> failures = run(checks);
        System.out.printf(
                "%d checks over %d types and %d planted resources in %d s%n",
                checks.size(), byType.size(), planted.size(), (System.nanoTime() - start) / 1_000_000_000L);
        assertThat(failures)
                .as(failures.size() + " of " + checks.size() + " checks failed over " + byType.size() + " types")
                .isEmpty();
    }

    @Test
    @Order(2)
    void writesFollowTheSameOwnership() {
        String unknownIdentifier = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"w\"},"
                + "\"subject\":{\"identifier\":{\"system\":\"" + MRN + "\",\"value\":\"MRN-NOBODY\"}}}";
        assertThat(post(drWith, "/Observation", unknownIdentifier).statusCode()).isEqualTo(403);
        String byIdentifier = unknownIdentifier.replace("MRN-NOBODY", "MRN-P1");
        assertThat(post(drWith, "/Observation", byIdentifier).statusCode()).isEqualTo(201);
        assertThat(post(drWithout, "/Observation", byIdentifier).statusCode()).isEqualTo(403);
        assertThat(post(
                                drWithout,
                                "/Task",
                                "{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\","
                                        + "\"for\":{\"reference\":\"Patient/" + p1 + "\"}}")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(
                                drWithout,
                                "/Provenance",
                                "{\"resourceType\":\"Provenance\",\"recorded\":\"2024-01-01T00:00:00Z\","
                                        + "\"target\":[{\"reference\":\"Observation/" + observationOfP1
                                        + "\"}],\"agent\":[{\"who\":{\"reference\":"
                                        + "\"Practitioner/ev-without\"}}]}")
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(
                                drWith,
                                "/Provenance",
                                "{\"resourceType\":\"Provenance\",\"recorded\":\"2024-01-01T00:00:00Z\","
                                        + "\"target\":[{\"reference\":\"Observation/" + observationOfP1
                                        + "\"}],\"agent\":[{\"who\":{\"reference\":"
                                        + "\"Practitioner/ev-with\"}}]}")
                        .statusCode())
                .isEqualTo(201);
        // a new patient and their data in one transaction: the placeholders are the transaction's own
        HttpResponse<String> tx = post(
                drWith,
                "/",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                        + "{\"fullUrl\":\"urn:uuid:6f1c1a52-2b1e-4d37-9a4e-2f1b1a1a1a1a\",\"resource\":{\"resourceType\":\"Patient\"},"
                        + "\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},{\"resource\":{\"resourceType\":\"Observation\","
                        + "\"status\":\"final\",\"code\":{\"text\":\"t\"},\"subject\":{\"reference\":"
                        + "\"urn:uuid:6f1c1a52-2b1e-4d37-9a4e-2f1b1a1a1a1a\"}},\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}");
        assertThat(tx.statusCode()).as(tx.body()).isEqualTo(200);
        // ... but a placeholder standing for an existing patient (a conditional create that matches P1), or a
        // conditional reference, is checked as what it names
        long versions = storedVersionCount();
        HttpResponse<String> sneaky = post(
                drWithout,
                "/",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\","
                        + "\"entry\":[{\"fullUrl\":\"urn:uuid:0c3b0c0e-55aa-4f51-8f4e-7a1e0e0e0e0e\",\"resource\":{\"resourceType\":"
                        + "\"Patient\",\"identifier\":[{\"system\":\"" + MRN
                        + "\",\"value\":\"MRN-P1\"}]},\"request\":{\"method\":"
                        + "\"POST\",\"url\":\"Patient\",\"ifNoneExist\":\"identifier=" + MRN
                        + "|MRN-P1\"}},{\"resource\":"
                        + "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},\"subject\":"
                        + "{\"reference\":\"urn:uuid:0c3b0c0e-55aa-4f51-8f4e-7a1e0e0e0e0e\"}},\"request\":{\"method\":\"POST\","
                        + "\"url\":\"Observation\"}}]}");
        assertThat(sneaky.statusCode()).as(sneaky.body()).isIn(403, 412);
        HttpResponse<String> conditional = post(
                drWithout,
                "/Observation",
                "{\"resourceType\":\"Observation\","
                        + "\"status\":\"final\",\"code\":{\"text\":\"c\"},\"subject\":{\"reference\":\"Patient?identifier="
                        + MRN + "|MRN-P1\"}}");
        // HAPI resolves it as the caller, who does not see P1: no match (404) or, once resolved, refused (403)
        assertThat(conditional.statusCode()).as(conditional.body()).isIn(403, 404);
        assertThat(storedVersionCount()).as("nothing stored").isEqualTo(versions);
    }

    @Test
    @Order(3)
    void definitionsAreWrittenByAdminOnly() {
        Map<String, String> bodies = new LinkedHashMap<>();
        for (String type : AccessPolicy.DEFINITION_TYPES) {
            bodies.put(
                    type,
                    "{\"resourceType\":\"" + type + "\",\"status\":\"draft\",\"url\":\"http://example.org/" + type + "/"
                            + UUID.randomUUID() + "\"}");
        }
        bodies.put(
                "SearchParameter",
                "{\"resourceType\":\"SearchParameter\",\"url\":\"http://example.org/sp/"
                        + UUID.randomUUID()
                        + "\",\"name\":\"x\",\"status\":\"draft\",\"description\":\"x\",\"code\":\"xperformer\","
                        + "\"base\":[\"Observation\"],\"type\":\"token\",\"expression\":\"Observation.status\"}");
        bodies.put(
                "Subscription",
                "{\"resourceType\":\"Subscription\",\"status\":\"off\",\"reason\":\"x\",\"criteria\":"
                        + "\"Observation?status=final\",\"channel\":{\"type\":\"rest-hook\",\"endpoint\":\"http://example.org/hook\"}}");
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, String> e : bodies.entrySet()) {
            String type = e.getKey();
            for (String token : List.of(drWith, p1Token, auditor)) {
                HttpResponse<String> r = post(token, "/" + type, e.getValue());
                if (r.statusCode() != 403) failures.add(type + " created by a non-admin: " + r.statusCode());
            }
            HttpResponse<String> r = post(admin, "/" + type, e.getValue());
            boolean custodianOnly = AccessPolicy.CUSTODIAN_ONLY_TYPES.contains(type);
            if (custodianOnly && r.statusCode() != 403) failures.add(type + " created by the admin: " + r.statusCode());
            if (!custodianOnly && r.statusCode() == 403) failures.add(type + " refused to the admin: " + r.body());
        }
        assertThat(failures).isEmpty();
        HttpResponse<String> search = get(drWith, "/Observation?performer=Practitioner/ev-with");
        assertThat(search.statusCode())
                .as("a search no clinician could redefine")
                .isIn(200, 403);
    }

    // ----- planting --------------------------------------------------------------------------------------------

    private void plantEveryWay(String type) {
        RuntimeResourceDefinition def = CTX.getResourceDefinition(type);
        Path toPatient = find(def, targets -> targets.isEmpty() || targets.contains("Patient"));
        Path toObservation = find(def, targets -> targets.isEmpty() || targets.contains("Observation"));
        add(type, Way.REFERENCE, toPatient, m -> new Reference("Patient/" + p1).setDisplay(m));
        add(
                type,
                Way.IDENTIFIER,
                toPatient,
                m -> new Reference()
                        .setIdentifier(new Identifier().setSystem(MRN).setValue("MRN-P1"))
                        .setDisplay(m));
        if (UNRESOLVED_SAMPLE.contains(type)) { // the same rule for every type: a sample keeps the run short
            add(
                    type,
                    Way.UNKNOWN_IDENTIFIER,
                    toPatient,
                    m -> new Reference()
                            .setIdentifier(new Identifier().setSystem(MRN).setValue("MRN-" + m))
                            .setDisplay(m));
            add(type, Way.DISPLAY_ONLY, toPatient, m -> new Reference().setDisplay(m));
        }
        Planted contained = add(type, Way.CONTAINED_PATIENT, toPatient, m -> new Reference("#cp").setDisplay(m));
        Patient containedPatient = new Patient();
        containedPatient.setId("cp");
        containedPatient.addName().setFamily(contained.marker());
        ((DomainResource) contained.resource()).addContained(containedPatient);
        add(
                type,
                Way.LINKED_RESOURCE,
                toObservation,
                m -> new Reference("Observation/" + observationOfP1).setDisplay(m));
    }

    /** A Reference child (top level or in a top-level backbone element) and the type names it targets (none: any). */
    record Path(RuntimeChildResourceBlockDefinition block, RuntimeChildResourceDefinition child, Set<String> targets) {
        boolean targetsPatient() {
            return targets.isEmpty() || targets.contains("Patient");
        }
    }

    private static Path find(RuntimeResourceDefinition def, Predicate<Set<String>> fits) {
        for (BaseRuntimeChildDefinition c : def.getChildren()) {
            if (c instanceof RuntimeChildResourceDefinition r && fits.test(targets(r)))
                return new Path(null, r, targets(r));
        }
        for (BaseRuntimeChildDefinition c : def.getChildren()) {
            if (!(c instanceof RuntimeChildResourceBlockDefinition b)) continue;
            BaseRuntimeElementCompositeDefinition<?> blockDef =
                    (BaseRuntimeElementCompositeDefinition<?>) b.getChildByName(b.getElementName());
            for (BaseRuntimeChildDefinition inner : blockDef.getChildren()) {
                if (inner instanceof RuntimeChildResourceDefinition r && fits.test(targets(r))) {
                    return new Path(b, r, targets(r));
                }
            }
        }
        return null;
    }

    private static Set<String> targets(RuntimeChildResourceDefinition r) {
        Set<String> names = new TreeSet<>();
        for (Class<? extends IBaseResource> c : r.getResourceTypes()) {
            if (c.isInterface() || java.lang.reflect.Modifier.isAbstract(c.getModifiers())) return Set.of();
            names.add(CTX.getResourceType(c));
        }
        return names;
    }

    private Planted add(String type, Way way, Path path, java.util.function.Function<String, Reference> reference) {
        String m = marker();
        IBaseResource r = CTX.getResourceDefinition(type).newInstance();
        Reference ref = reference.apply(m);
        if (path == null) {
            ((DomainResource) r).addExtension("urn:test:points-at", ref); // the type has no such reference at the top
        } else if (path.block() == null) {
            path.child().getMutator().addValue(r, ref);
        } else {
            IBase block = path.block()
                    .getChildByName(path.block().getElementName())
                    .newInstance(path.block().getInstanceConstructorArguments());
            path.child().getMutator().addValue(block, ref);
            path.block().getMutator().addValue(r, block);
        }
        Planted p = new Planted(type, way, m, r, null);
        planted.add(p);
        allMarkers.add(m);
        if (!way.resolvable) unresolvedMarkers.add(m);
        return p;
    }

    private void explicit(String type, String template) {
        explicit(type, template, Way.EXPLICIT);
    }

    private void explicit(String type, String template, Way way) {
        String m = marker();
        planted.add(new Planted(type, way, m, CTX.newJsonParser().parseResource(template.formatted(m)), null));
        allMarkers.add(m);
        if (!way.resolvable) unresolvedMarkers.add(m);
    }

    /** Custodian batches (a type the server cannot store fails the test with its reason). */
    private void store() {
        List<String> failed = new ArrayList<>();
        for (int from = 0; from < planted.size(); from += BATCH_SIZE) {
            int to = Math.min(planted.size(), from + BATCH_SIZE);
            Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
            for (Planted p : planted.subList(from, to)) {
                batch.addEntry()
                        .setResource((org.hl7.fhir.r4.model.Resource) p.resource())
                        .getRequest()
                        .setMethod(Bundle.HTTPVerb.POST)
                        .setUrl(p.type());
            }
            HttpResponse<String> r = post(custodian, "/", CTX.newJsonParser().encodeResourceToString(batch));
            assertThat(r.statusCode())
                    .as(r.body().substring(0, Math.min(2000, r.body().length())))
                    .isEqualTo(200);
            JsonNode entries = body(r).path("entry");
            for (int i = from; i < to; i++) {
                JsonNode response = entries.get(i - from).path("response");
                if (!response.path("status").asText().startsWith("201")) {
                    failed.add(planted.get(i).type() + "/" + planted.get(i).way() + ": " + response.path("outcome"));
                    continue;
                }
                String[] parts = response.path("location").asText().split("/");
                planted.set(i, planted.get(i).withId(parts[parts.length - 3]));
            }
        }
        assertThat(failed).as("planted by the custodian").isEmpty();
    }

    private Set<String> servedTypes() {
        Set<String> types = new LinkedHashSet<>();
        body(get(custodian, "/metadata"))
                .at("/rest/0/resource")
                .forEach(n -> types.add(n.path("type").asText()));
        return types;
    }

    private static String marker() {
        return "mk" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    // ----- checks ----------------------------------------------------------------------------------------------

    /** One request and what must hold of its answer; null when it does. */
    record Check(
            String token, String path, java.util.function.BiFunction<Check, HttpResponse<String>, String> verdict) {}

    private Check refused(String token, String path) {
        return new Check(
                token,
                path,
                (c, r) -> r.statusCode() >= 400 && r.statusCode() < 500
                        ? leak(c, r)
                        : "not refused (" + r.statusCode() + ")");
    }

    private Check shown(String token, String path, String marker) {
        return new Check(
                token,
                path,
                (c, r) -> r.statusCode() == 200 && r.body().contains(marker)
                        ? leak(c, r)
                        : "not shown (" + r.statusCode() + ") "
                                + r.body().substring(0, Math.min(300, r.body().length())));
    }

    private Check searched(String token, String path) {
        return new Check(
                token,
                path,
                (c, r) -> r.statusCode() == 200
                        ? leak(c, r)
                        : "search refused (" + r.statusCode() + ") "
                                + r.body().substring(0, Math.min(300, r.body().length())));
    }

    /** What the caller may not see, found in the answer. */
    private String leak(Check c, HttpResponse<String> r) {
        Set<String> forbidden = c.token().equals(drWith) || c.token().equals(p1Token) ? unresolvedMarkers : allMarkers;
        for (String m : forbidden) {
            if (r.body().contains(m)) return "leaks " + m + " (" + wayOf(m) + ")";
        }
        return null;
    }

    private String wayOf(String marker) {
        for (Planted p : planted) if (p.marker().equals(marker)) return p.type() + " " + p.way();
        return marker.equals(p1Marker) ? "Patient" : "Observation";
    }

    private List<String> run(List<Check> checks) throws Exception {
        Map<String, String> roles = Map.of(
                drWith,
                "clinician with consent",
                drWithout,
                "clinician without consent",
                admin,
                "admin",
                auditor,
                "auditor",
                p1Token,
                "P1",
                p2Token,
                "another patient",
                custodian,
                "custodian");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (Check c : checks) {
                futures.add(pool.submit(() -> {
                    HttpResponse<String> r = get(c.token(), c.path());
                    String v = c.verdict().apply(c, r);
                    return v == null ? null : roles.get(c.token()) + " GET " + c.path() + ": " + v;
                }));
            }
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            for (Future<String> f : futures) {
                String v = f.get();
                if (v != null) failures.add(v);
            }
            return failures;
        } finally {
            pool.shutdownNow();
        }
    }

    // ----- HTTP ------------------------------------------------------------------------------------------------

    private String created(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).at("/id").asText();
    }
}
