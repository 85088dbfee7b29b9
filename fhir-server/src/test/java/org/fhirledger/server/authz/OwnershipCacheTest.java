package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;

/**
 * The cache of stored versions' pointers at patients never answers for a newer version, nor for a linked resource
 * that changed: an Observation moved from P1 to P2 by an update, and a Provenance that points at it and did not
 * change, are refused at once to a clinician consented for P1 only and readable by one consented for P2, though
 * both were just read (cache warm); a deleted one is not served, though just read.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // the H2 API suites' context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OwnershipCacheTest extends ServerTestBase {

    @Autowired
    Ledger ledger;

    @Autowired
    Pseudonyms pseudonyms;

    @Autowired
    JdbcTemplate jdbc;

    String custodian;
    String p1;
    String p2;
    String observation;
    String provenance;
    String forP1;
    String forP2;

    @BeforeAll
    void story() {
        custodian = bearerToken();
        p1 = id(post(custodian, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"One\"}]}"));
        p2 = id(post(custodian, "/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Two\"}]}"));
        String author = id(post(custodian, "/Practitioner", "{\"resourceType\":\"Practitioner\"}"));
        observation = id(post(custodian, "/Observation", observation(null, p1)));
        provenance = id(post(
                custodian,
                "/Provenance",
                "{\"resourceType\":\"Provenance\",\"target\":[{\"reference\":\"Observation/" + observation
                        + "\"}],\"recorded\":\"2026-01-01T00:00:00Z\",\"agent\":[{\"who\":{\"reference\":"
                        + "\"Practitioner/" + author + "\"}}]}"));
        DevTokens.Minted c1 = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/owner-cache-1");
        DevTokens.Minted c2 = DevTokens.mintFor(dataDir(), Role.CLINICIAN, "Practitioner/owner-cache-2");
        grant(p1, c1.ledgerAddress());
        grant(p2, c2.ledgerAddress());
        forP1 = c1.token();
        forP2 = c2.token();
    }

    @Test
    void aMovedResourceAndWhatLinksToItCountForTheNewPatientAtOnce() {
        for (int i = 0; i < 2; i++) { // the second time from a warm cache
            assertThat(status(forP1, "/Observation/" + observation)).isEqualTo(200);
            assertThat(status(forP1, "/Provenance/" + provenance)).isEqualTo(200);
            assertThat(status(forP2, "/Observation/" + observation)).isEqualTo(404);
            assertThat(status(forP2, "/Provenance/" + provenance)).isEqualTo(404);
        }

        HttpResponse<String> moved = put(custodian, "/Observation/" + observation, observation(observation, p2));
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);

        assertThat(status(forP1, "/Observation/" + observation)).isEqualTo(404);
        assertThat(status(forP1, "/Provenance/" + provenance)).isEqualTo(404); // unchanged, but its target moved
        assertThat(status(forP2, "/Observation/" + observation)).isEqualTo(200);
        assertThat(status(forP2, "/Provenance/" + provenance)).isEqualTo(200);
        // an older version is answered as the resource is now: not P1's clinician's any more
        assertThat(status(forP1, "/Observation/" + observation + "/_history/1")).isEqualTo(404);
    }

    @Test
    void aDeletedResourceIsNotServedThoughItWasJustRead() {
        String gone = id(post(custodian, "/Observation", observation(null, p2)));
        assertThat(status(forP2, "/Observation/" + gone)).isEqualTo(200);
        assertThat(status(forP2, "/Observation/" + gone)).isEqualTo(200);
        HttpResponse<String> deleted = call("DELETE", custodian, "/Observation/" + gone, null);
        assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 204);
        assertThat(status(forP2, "/Observation/" + gone)).isEqualTo(404);
        assertThat(status(forP2, "/Observation/" + gone + "/_history/1")).isEqualTo(404);
    }

    /**
     * A read path asks for a linked resource's current version from its HFJ_RESOURCE row and takes the cached
     * pointers of the version a read showed with that version and lastUpdated: the two must agree, or the cache would
     * never answer (it could not answer wrongly: a mismatch is a miss).
     */
    @Test
    void theCurrentVersionRowNamesTheVersionAReadShows() {
        JsonNode read = body(get(custodian, "/Provenance/" + provenance));
        Map<String, Object> row = jdbc.queryForMap(
                "select RES_VER, RES_UPDATED from HFJ_RESOURCE where RES_TYPE = 'Provenance' and FHIR_ID = ?",
                provenance);
        assertThat(String.valueOf(row.get("RES_VER")))
                .isEqualTo(read.at("/meta/versionId").asText());
        assertThat(((Timestamp) row.get("RES_UPDATED")).getTime())
                .isEqualTo(OffsetDateTime.parse(read.at("/meta/lastUpdated").asText())
                        .toInstant()
                        .toEpochMilli());
    }

    // ---- helpers

    private static String observation(String id, String patient) {
        return "{\"resourceType\":\"Observation\"," + (id == null ? "" : "\"id\":\"" + id + "\",")
                + "\"status\":\"final\",\"code\":{\"text\":\"moved\"},\"subject\":{\"reference\":\"Patient/"
                + patient + "\"}}";
    }

    private void grant(String patient, String clinician) {
        ledger.grantConsent(
                pseudonyms.of("Patient", patient),
                clinician,
                ConsentAction.READ.bit(),
                ResourceTypes.ALL,
                Instant.now().plus(Duration.ofHours(1)));
    }

    private int status(String token, String path) {
        return get(token, path).statusCode();
    }

    private static String id(HttpResponse<String> created) {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return body(created).path("id").asText();
    }
}
