package org.fhirledger.server.pseudonym;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.fhirledger.crypto.Pseudonymizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PseudonymsTest {

    private final Pseudonyms pseudonyms = new Pseudonyms(
            Pseudonymizer.fromSecret("a test secret of 32 bytes length".getBytes(StandardCharsets.US_ASCII)));

    @Test
    void aReferenceHasOnePseudonymWhicheverWayItIsNamed() {
        assertThat(pseudonyms.of("Patient", "123")).isEqualTo(pseudonyms.of("Patient/123"));
        assertThat(pseudonyms.of("Patient/123")).isNotEqualTo(pseudonyms.of("Patient/124"));
        assertThat(pseudonyms.of("Patient/123")).isNotEqualTo(pseudonyms.of("Practitioner/123"));
        assertThat(pseudonyms.hex("Patient/123"))
                .isEqualTo(pseudonyms.of("Patient/123").toHex().toLowerCase());
    }

    @Test
    void anotherSecretGivesUnlinkablePseudonyms() {
        Pseudonyms other = new Pseudonyms(
                Pseudonymizer.fromSecret("another secret, also 32 bytes..!".getBytes(StandardCharsets.US_ASCII)));
        assertThat(other.of("Patient/123")).isNotEqualTo(pseudonyms.of("Patient/123"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Patient",
                "Patient/",
                "/123",
                "patient/123",
                "Patient/123/_history/2",
                "http://x/fhir/Patient/123",
                "Patient/12 3",
                "#contained"
            })
    void onlyRelativeTypeSlashIdReferencesHavePseudonyms(String reference) {
        assertThatThrownBy(() -> pseudonyms.of(reference)).isInstanceOf(IllegalArgumentException.class);
    }
}
