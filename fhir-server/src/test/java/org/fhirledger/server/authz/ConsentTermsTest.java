package org.fhirledger.server.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.Instant;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ResourceTypes;
import org.hl7.fhir.r4.model.Consent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConsentTermsTest {

    private static final FhirContext CTX = FhirContext.forR4Cached();
    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    private static Consent consent(String status, String provision) {
        return CTX.newJsonParser()
                .parseResource(
                        Consent.class,
                        "{\"resourceType\":\"Consent\",\"status\":\"" + status
                                + "\",\"scope\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/consentscope\","
                                + "\"code\":\"patient-privacy\"}]},\"category\":[{\"text\":\"x\"}],\"patient\":{\"reference\":\"Patient/7\"},"
                                + "\"provision\":" + provision + "}");
    }

    private static final String ACTOR =
            "\"actor\":[{\"role\":{\"text\":\"r\"},\"reference\":{\"reference\":\"Practitioner/d\"}}]";

    @Test
    void aPlainActiveConsentGrantsReadOnEveryTypeUntilRevoked() {
        ConsentTerms t = ConsentTerms.of(consent("active", "{" + ACTOR + "}"), NOW);
        assertThat(t.effect()).isEqualTo(ConsentTerms.Effect.GRANT);
        assertThat(t.patientId()).isEqualTo("7");
        assertThat(t.actors()).containsExactly("Practitioner/d");
        assertThat(t.actions()).isEqualTo(ConsentAction.READ.bit());
        assertThat(t.resourceTypes()).isEqualTo(ResourceTypes.ALL);
        assertThat(t.expiry()).isEqualTo(ConsentTerms.UNTIL_REVOKED);
    }

    @Test
    void actionsClassesAndPeriodNarrowIt() {
        ConsentTerms t = ConsentTerms.of(
                consent(
                        "active",
                        "{\"type\":\"permit\",\"period\":{\"end\":\"2026-07-01T00:00:00Z\"},"
                                + ACTOR
                                + ",\"action\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/consentaction\","
                                + "\"code\":\"correct\"}]}],\"class\":[{\"system\":\"http://hl7.org/fhir/resource-types\",\"code\":\"Observation\"}]}"),
                NOW);
        assertThat(t.actions()).isEqualTo(ConsentAction.WRITE.bit());
        assertThat(t.resourceTypes()).isEqualTo(ResourceTypes.maskOf(java.util.List.of("Observation")));
        assertThat(t.expiry()).isEqualTo(Instant.parse("2026-07-01T00:00:00Z"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "active,GRANT",
        "inactive,REVOKE",
        "rejected,REVOKE",
        "entered-in-error,REVOKE",
        "draft,NONE",
        "proposed,NONE"
    })
    void statusDecidesTheEffect(String status, ConsentTerms.Effect effect) {
        assertThat(ConsentTerms.of(consent(status, "{" + ACTOR + "}"), NOW).effect())
                .isEqualTo(effect);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
		no actor             | {}
		actor not a person   | {"actor":[{"role":{"text":"r"},"reference":{"reference":"Organization/o"}}]}
		deny provision       | {"type":"deny",%s}
		nested provision     | {%s,"provision":[{"type":"permit"}]}
		expired              | {"period":{"end":"2026-01-01T00:00:00Z"},%s}
		starts later         | {"period":{"start":"2026-12-01T00:00:00Z"},%s}
		unknown action       | {%s,"action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"fly"}]}]}
		class not a type     | {%s,"class":[{"system":"http://x","code":"y"}]}
		single resources     | {%s,"data":[{"meaning":"instance","reference":{"reference":"Observation/1"}}]}
		""")
    void whatCannotBeMirroredIsA422(String name, String provision) {
        Consent c = consent("active", provision.replace("%s", ACTOR));
        assertThatThrownBy(() -> ConsentTerms.of(c, NOW))
                .isInstanceOf(UnprocessableEntityException.class)
                .hasMessageStartingWith("Consent not accepted")
                .satisfies(e -> assertThat(((UnprocessableEntityException) e).getStatusCode())
                        .isEqualTo(422));
    }

    @Test
    void onlyPatientPrivacyConsentsAreMirroredAndAPatientIsRequired() {
        Consent research = consent("active", "{" + ACTOR + "}");
        research.getScope().getCodingFirstRep().setCode("research");
        assertThat(ConsentTerms.isMirrored(research)).isFalse();
        Consent noPatient = consent("active", "{" + ACTOR + "}").setPatient(null);
        assertThatThrownBy(() -> ConsentTerms.of(noPatient, NOW)).isInstanceOf(UnprocessableEntityException.class);
        // a stored consent is read without the clock (its period may have ended since)
        Consent old = consent("active", "{\"period\":{\"end\":\"2020-01-01T00:00:00Z\"}," + ACTOR + "}");
        assertThat(ConsentTerms.stored(old).effect()).isEqualTo(ConsentTerms.Effect.GRANT);
    }
}
