package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.server.security.TestJwts.sign;
import static org.fhirledger.server.security.TestJwts.validClaims;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/**
 * Two real Nimbus decoders, each for its own issuer and key: the token's {@code iss} picks the decoder, and naming
 * the other issuer never gets a token checked with a key it was not signed by.
 */
class IssuerRoutingDecoderTest {

    private static final String IDP = "https://idp.example";
    private static final String MEMBER = CallerClaims.MEMBER_ISSUER_PREFIX + TestJwts.ADDRESS;

    private final RSAKey idpKey = TestJwts.newRsaKey("idp");
    private final RSAKey memberKey = TestJwts.newRsaKey("member");

    private final JwtDecoder routing = new IssuerRoutingDecoder(
            decoder(idpKey, IDP), () -> Stream.of(new AdditionalTokenIssuer(MEMBER, decoder(memberKey, MEMBER))));

    @Test
    void eachIssuersTokensAreCheckedWithItsOwnKey() {
        assertThat(routing.decode(sign(
                                idpKey, JWSAlgorithm.RS256, validClaims(IDP).build()))
                        .getIssuer()
                        .toString())
                .isEqualTo(IDP);
        assertThat(routing.decode(sign(
                                memberKey,
                                JWSAlgorithm.RS256,
                                validClaims(MEMBER).build()))
                        .getClaimAsString("iss"))
                .isEqualTo(MEMBER);
    }

    @Test
    void namingTheOtherIssuerGainsNothing() {
        // the IdP's key cannot make a member token, nor the member key an IdP token
        assertThatThrownBy(() -> routing.decode(
                        sign(idpKey, JWSAlgorithm.RS256, validClaims(MEMBER).build())))
                .isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> routing.decode(
                        sign(memberKey, JWSAlgorithm.RS256, validClaims(IDP).build())))
                .isInstanceOf(JwtException.class);
        // an issuer nobody trusts goes to the configured decoder, which refuses it
        assertThatThrownBy(() -> routing.decode(sign(
                        idpKey,
                        JWSAlgorithm.RS256,
                        validClaims("https://other.example").build())))
                .isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> routing.decode("not-a-jwt")).isInstanceOf(JwtException.class);
    }

    @Test
    void withoutAdditionalIssuersOnlyTheConfiguredOneCounts() {
        JwtDecoder only = new IssuerRoutingDecoder(decoder(idpKey, IDP), Stream::empty);
        assertThat(only.decode(sign(idpKey, JWSAlgorithm.RS256, validClaims(IDP).build()))
                        .getSubject())
                .isEqualTo("test-user");
        assertThatThrownBy(() -> only.decode(
                        sign(memberKey, JWSAlgorithm.RS256, validClaims(MEMBER).build())))
                .isInstanceOf(JwtException.class);
    }

    private static JwtDecoder decoder(RSAKey key, String issuer) {
        try {
            NimbusJwtDecoder decoder =
                    NimbusJwtDecoder.withPublicKey(key.toRSAPublicKey()).build();
            decoder.setJwtValidator(JwtValidators.createDefaultWithIssuer(issuer));
            return decoder;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
