package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The production realm (docker/keycloak) against what the server advertises in its smart-configuration: there is no
 * Keycloak here to import it, so the file is read as Keycloak reads it and held to what the server needs.
 */
class KeycloakRealmTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode realm;
    private static final Map<String, JsonNode> scopes = new HashMap<>();

    @BeforeAll
    static void read() throws Exception {
        Path file = Path.of("..", "docker", "keycloak", "fhir-ledger-realm.json");
        realm = JSON.readTree(Files.readString(file));
        realm.path("clientScopes").forEach(s -> scopes.put(s.path("name").asText(), s));
    }

    @Test
    void everyScopeTheServerAdvertisesIsAClientScopeOfTheRealmThatAppsMayAskFor() {
        Set<String> advertised = new LinkedHashSet<>(SmartConfigurationDocument.SCOPES);
        advertised.remove("openid"); // built into Keycloak's OpenID Connect: not a client scope
        assertThat(scopes.keySet()).containsAll(advertised);
        for (String name : advertised) {
            assertThat(scopes.get(name).at("/attributes/include.in.token.scope").asText())
                    .as(name + " is written into the token's scope")
                    .isEqualTo("true");
        }
        Set<String> smartApp = clientScopes("smart-app");
        for (String name : advertised) {
            if (!name.startsWith("system/"))
                assertThat(smartApp).as("smart-app may ask for " + name).contains(name);
        }
        Set<String> ehr = clientScopes("ehr-system");
        advertised.stream()
                .filter(n -> n.startsWith("system/"))
                .forEach(n -> assertThat(ehr).contains(n));
        // every scope a client names exists (Keycloak refuses the import otherwise)
        for (JsonNode c : realm.path("clients")) {
            assertThat(scopes.keySet())
                    .as(c.path("clientId").asText())
                    .containsAll(clientScopes(c.path("clientId").asText()));
        }
    }

    @Test
    void theLaunchPatientAndFhirUserScopesCarryTheirClaimsFromUserAttributesTheUserCannotEdit() throws Exception {
        JsonNode patient = mapper(scopes.get("launch/patient"), "patient");
        assertThat(patient.path("protocolMapper").asText()).isEqualTo("oidc-usermodel-attribute-mapper");
        assertThat(patient.at("/config/user.attribute").asText()).isEqualTo("patient");
        assertThat(patient.at("/config/access.token.claim").asText()).isEqualTo("true");
        JsonNode fhirUser = mapper(scopes.get("fhirUser"), "fhirUser");
        assertThat(fhirUser.at("/config/user.attribute").asText()).isEqualTo("fhirUser");
        assertThat(fhirUser.at("/config/access.token.claim").asText()).isEqualTo("true");
        assertThat(fhirUser.at("/config/id.token.claim").asText()).isEqualTo("true");
        // fhirUser is in every token of the apps and the EHR system, as the server reads it
        assertThat(realm.path("defaultDefaultClientScopes").toString()).contains("\"fhirUser\"");
        for (String client : List.of("smart-app", "ehr-system")) {
            assertThat(texts(client(client).path("defaultClientScopes"))).contains("fhirUser", "basic");
            JsonNode ledger = mapper(client(client), "ledger_address");
            assertThat(ledger.at("/config/access.token.claim").asText()).isEqualTo("true");
        }
        // tokens keep their sub (Keycloak's basic scope, which a realm listing its scopes must list itself)
        assertThat(mapper(scopes.get("basic"), "sub").path("protocolMapper").asText())
                .isEqualTo("oidc-sub-mapper");

        JsonNode profile = JSON.readTree(
                realm.at("/components/org.keycloak.userprofile.UserProfileProvider/0/config/kc.user.profile.config/0")
                        .asText());
        for (String attribute : List.of("patient", "fhirUser", "ledger_address")) {
            JsonNode a = null;
            for (JsonNode x : profile.path("attributes"))
                if (x.path("name").asText().equals(attribute)) a = x;
            assertThat(a).as(attribute).isNotNull();
            assertThat(texts(a.at("/permissions/edit"))).as(attribute).containsExactly("admin");
        }
    }

    private static JsonNode client(String clientId) {
        for (JsonNode c : realm.path("clients")) if (c.path("clientId").asText().equals(clientId)) return c;
        throw new AssertionError("no client " + clientId);
    }

    private static Set<String> clientScopes(String clientId) {
        JsonNode c = client(clientId);
        Set<String> out = new LinkedHashSet<>(texts(c.path("defaultClientScopes")));
        out.addAll(texts(c.path("optionalClientScopes")));
        return out;
    }

    private static JsonNode mapper(JsonNode holder, String name) {
        for (JsonNode m : holder.path("protocolMappers"))
            if (m.path("name").asText().equals(name)) return m;
        throw new AssertionError("no mapper " + name);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
