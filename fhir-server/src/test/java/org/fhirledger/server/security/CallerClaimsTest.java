package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;

/** From validated claims to a Caller: what later interceptors will rely on. */
class CallerClaimsTest {

    private final CallerClaims claims = new CallerClaims("wallet", "fhir_user");

    private static Jwt.Builder jwt() {
        return Jwt.withTokenValue("t")
                .header("alg", "ES256")
                .issuedAt(Instant.now())
                .expiresAt(Instant.now().plusSeconds(60))
                .subject("alice")
                .claim("wallet", "0x52908400098527886E0F7030069857D2E4169EE7");
    }

    @Test
    void buildsTheCallerFromConfiguredClaimNames() {
        Caller c = claims.toCaller(jwt().claim("fhir_user", "Practitioner/123")
                .claim("scope", "openid  user/*.rs ")
                .build());
        assertThat(c.subject()).isEqualTo("alice");
        assertThat(c.ledgerAddress()).isEqualTo("0x52908400098527886e0f7030069857d2e4169ee7");
        assertThat(c.fhirUserReference()).contains("Practitioner/123");
        assertThat(c.scopes()).containsExactlyInAnyOrder("openid", "user/*.rs");
        assertThat(c.hasScope("user/*.rs")).isTrue();
    }

    @Test
    void scopesMayBeAnArrayAndFhirUserAbsoluteOrAbsent() {
        Caller c = claims.toCaller(jwt().claim("scope", List.of("a", "b")).build());
        assertThat(c.scopes()).containsExactlyInAnyOrder("a", "b");
        assertThat(c.fhirUserReference()).isEmpty();
        assertThat(claims.toCaller(jwt().claim("fhir_user", "https://ehr.example/fhir/Patient/p-1")
                                .build())
                        .fhirUser())
                .as("the same user as Patient/p-1: the chain binds accounts to the relative form")
                .isEqualTo("Patient/p-1");
        assertThat(claims.toCaller(jwt().build()).scopes()).isEmpty();
    }

    @Test
    void onlyAMemberTokenActsThroughAMember() {
        String member = "0x1111111111111111111111111111111111111111";
        Caller viaMember = claims.toCaller(jwt().issuer(CallerClaims.MEMBER_ISSUER_PREFIX + member)
                .claim(CallerClaims.MEMBER, member.toUpperCase().replace("0X", "0x"))
                .claim(CallerClaims.MEMBER_ORGANIZATION, "urn:oid:2.2")
                .build());
        assertThat(viaMember.actingThrough()).isEqualTo(new ActingThrough(member, "urn:oid:2.2"));
        // the same claims from another issuer mean nothing
        Caller ours = claims.toCaller(jwt().issuer("urn:fhir-ledger:dev-issuer")
                .claim(CallerClaims.MEMBER, member)
                .claim(CallerClaims.MEMBER_ORGANIZATION, "urn:oid:2.2")
                .build());
        assertThat(ours.actingThrough()).isNull();
        // a member token without its member is unusable
        assertThatThrownBy(() -> claims.toCaller(
                        jwt().issuer(CallerClaims.MEMBER_ISSUER_PREFIX + member).build()))
                .isInstanceOf(IllegalArgumentException.class);
        // nor with a member that is no ledger address, or without its Organization
        assertThatThrownBy(() -> claims.toCaller(jwt().issuer(CallerClaims.MEMBER_ISSUER_PREFIX + member)
                        .claim(CallerClaims.MEMBER, "B")
                        .claim(CallerClaims.MEMBER_ORGANIZATION, "urn:oid:2.2")
                        .build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> claims.toCaller(jwt().issuer(CallerClaims.MEMBER_ISSUER_PREFIX + member)
                        .claim(CallerClaims.MEMBER, member)
                        .build()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCallerIsImmutable() {
        List<String> scopes = new java.util.ArrayList<>(List.of("a"));
        Caller c = new Caller("s", "0x52908400098527886e0f7030069857d2e4169ee7", null, new java.util.HashSet<>(scopes));
        assertThatThrownBy(() -> c.scopes().add("b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesUnusableClaims() {
        assertThatThrownBy(() -> claims.toCaller(jwt().claim("wallet", "0x52908400098527886E0F7030069857D2E4169Ee7")
                        .build()))
                .hasMessageContaining("checksum");
        assertThatThrownBy(() -> claims.toCaller(jwt().claim("wallet", "52908400098527886e0f7030069857d2e4169ee7")
                        .build()))
                .hasMessageContaining("wallet");
        assertThatThrownBy(() -> claims.toCaller(jwt().claim("wallet", 12).build()))
                .hasMessageContaining("wallet");
        assertThatThrownBy(() -> claims.toCaller(
                        jwt().claim("fhir_user", "Practitioner/").build()))
                .hasMessageContaining("fhir_user");
        assertThatThrownBy(() -> claims.toCaller(
                        jwt().claim("fhir_user", "Organization/1").build()))
                .hasMessageContaining("fhir_user");
        assertThatThrownBy(() ->
                        claims.toCaller(jwt().claim("scope", List.of("a", 3)).build()))
                .hasMessageContaining("scope");
        assertThatThrownBy(() -> claims.toCaller(jwt().subject(" ").build())).hasMessageContaining("sub");
        assertThat(claims.validate(jwt().claim("wallet", "0x1").build()).hasErrors())
                .isTrue();
        assertThat(claims.validate(jwt().build()).hasErrors()).isFalse();
    }
}
