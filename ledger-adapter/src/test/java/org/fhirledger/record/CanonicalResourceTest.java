package org.fhirledger.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CanonicalResourceTest {

    private static String canon(String json) {
        return new String(
                CanonicalResource.canonicalize(json.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        keys sorted, whitespace dropped | { "resourceType" : "Patient", "id":"1", "active" : true } | {"active":true,"id":"1","resourceType":"Patient"}
        nested keys sorted              | {"resourceType":"Observation","valueQuantity":{"value":1,"unit":"mg"}} | {"resourceType":"Observation","valueQuantity":{"unit":"mg","value":1}}
        decimal precision kept          | {"resourceType":"Observation","valueQuantity":{"value":1.50}} | {"resourceType":"Observation","valueQuantity":{"value":1.50}}
        exponent written plain          | {"resourceType":"Observation","valueQuantity":{"value":1.5e3}} | {"resourceType":"Observation","valueQuantity":{"value":1500}}
        array order kept                | {"resourceType":"Patient","name":[{"family":"B"},{"family":"A"}]} | {"name":[{"family":"B"},{"family":"A"}],"resourceType":"Patient"}
        version and timestamp removed   | {"resourceType":"Patient","meta":{"versionId":"3","lastUpdated":"2026-01-01T00:00:00Z"}} | {"resourceType":"Patient"}
        other meta kept                 | {"resourceType":"Patient","meta":{"versionId":"3","profile":["http://x/p"]}} | {"meta":{"profile":["http://x/p"]},"resourceType":"Patient"}
        ledger tag removed              | {"resourceType":"Patient","meta":{"tag":[{"system":"https://fhir-ledger.org/CodeSystem/ledger-status","code":"pending"}]}} | {"resourceType":"Patient"}
        other tags kept                 | {"resourceType":"Patient","meta":{"tag":[{"system":"https://fhir-ledger.org/CodeSystem/ledger-status","code":"pending"},{"system":"http://x","code":"y"}]}} | {"meta":{"tag":[{"code":"y","system":"http://x"}]},"resourceType":"Patient"}
        unicode escaped once            | {"resourceType":"Patient","name":[{"family":"M\\u00fcller"}]} | {"name":[{"family":"Müller"}],"resourceType":"Patient"}
        """)
    void canonicalForm(String name, String input, String expected) {
        assertThat(canon(input)).isEqualTo(expected);
    }

    @Test
    void theHashIsTheSha256OfTheCanonicalBytes() {
        // printf %s '{"resourceType":"Patient"}' | sha256sum
        assertThat(CanonicalResource.contentHash("{ \"resourceType\": \"Patient\" }".getBytes(StandardCharsets.UTF_8))
                        .toHex())
                .isEqualTo("0xb6cd92f25733dc6efed4ca9541f59545c63a39c6310d3b873363f970c6f7e0c3");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        a value changed       | {"resourceType":"Patient","gender":"female"}
        a precision changed   | {"resourceType":"Observation","valueQuantity":{"value":1.5}}
        an element added      | {"resourceType":"Patient","active":true,"x":1}
        the id changed        | {"resourceType":"Patient","id":"2"}
        """)
    void anyClinicalChangeChangesTheHash(String name, String mutated) {
        String base = switch (name) {
            case "a precision changed" -> "{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":1.50}}";
            case "an element added" -> "{\"resourceType\":\"Patient\",\"active\":true}";
            case "the id changed" -> "{\"resourceType\":\"Patient\",\"id\":\"1\"}";
            default -> "{\"resourceType\":\"Patient\",\"gender\":\"male\"}";
        };
        assertThat(CanonicalResource.contentHash(mutated.getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(CanonicalResource.contentHash(base.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        not JSON           | {"resourceType":
        duplicate key      | {"resourceType":"Patient","id":"1","id":"2"}
        trailing garbage   | {"resourceType":"Patient"} x
        no resourceType    | {"id":"1"}
        an array           | [{"resourceType":"Patient"}]
        """)
    void refusesWhatIsNotOneResource(String name, String input) {
        assertThatThrownBy(() -> CanonicalResource.canonicalize(input.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
