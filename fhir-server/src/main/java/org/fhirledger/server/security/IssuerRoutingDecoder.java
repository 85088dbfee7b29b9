package org.fhirledger.server.security;

import com.nimbusds.jwt.JWTParser;
import java.text.ParseException;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * Hands a bearer token to the decoder of the issuer it names. The unverified {@code iss} only picks the decoder;
 * that decoder then checks the signature with its own issuer's key and the {@code iss} again, so naming another
 * issuer gains nothing. The additional issuers are looked up on use (they are wired after the security beans).
 */
final class IssuerRoutingDecoder implements JwtDecoder {

    private final JwtDecoder configured;
    private final Supplier<Stream<AdditionalTokenIssuer>> additional;
    private volatile List<AdditionalTokenIssuer> resolved;

    IssuerRoutingDecoder(JwtDecoder configured, Supplier<Stream<AdditionalTokenIssuer>> additional) {
        this.configured = configured;
        this.additional = additional;
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        List<AdditionalTokenIssuer> others = resolved;
        if (others == null) resolved = others = additional.get().toList(); // singletons, there once requests come
        if (others.isEmpty()) return configured.decode(token);
        String issuer = issuer(token);
        if (issuer != null) {
            JwtDecoder other = others.stream()
                    .filter(a -> a.issuer().equals(issuer))
                    .map(AdditionalTokenIssuer::decoder)
                    .findFirst()
                    .orElse(null);
            if (other != null) return other.decode(token);
        }
        return configured.decode(token);
    }

    /** The token's iss, or null when it cannot be read (the configured decoder then refuses the token). */
    private static String issuer(String token) {
        try {
            return JWTParser.parse(token).getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }
}
