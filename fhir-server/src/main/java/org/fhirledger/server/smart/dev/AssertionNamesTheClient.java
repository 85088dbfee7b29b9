package org.fhirledger.server.smart.dev;

import com.nimbusds.jwt.JWTParser;
import jakarta.servlet.http.HttpServletRequest;
import java.text.ParseException;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * SMART Backend Services send {@code client_assertion} without {@code client_id} (the assertion's {@code sub}
 * names the client); Spring Authorization Server's converter wants both. This one reads the name from the
 * assertion and hands the rest to the library as its own converter would: the signature, {@code iss}, {@code sub},
 * {@code aud}, expiry and the client's key are all still checked by Spring Authorization Server.
 */
final class AssertionNamesTheClient implements AuthenticationConverter {

    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    @Override
    public Authentication convert(HttpServletRequest request) {
        if (!"POST".equals(request.getMethod())
                || request.getParameter(OAuth2ParameterNames.CLIENT_ID) != null
                || !JWT_BEARER.equals(request.getParameter(OAuth2ParameterNames.CLIENT_ASSERTION_TYPE))) {
            return null;
        }
        String[] assertions = request.getParameterValues(OAuth2ParameterNames.CLIENT_ASSERTION);
        if (assertions == null || assertions.length != 1) return null;
        String clientId;
        try {
            clientId = JWTParser.parse(assertions[0]).getJWTClaimsSet().getSubject();
        } catch (ParseException e) {
            return null; // the library's own converter refuses it
        }
        if (clientId == null || clientId.isBlank()) return null;
        // as the library's converter builds it: the method is the assertion type; the provider then tells
        // private_key_jwt from client_secret_jwt by the registered client
        return new OAuth2ClientAuthenticationToken(
                clientId, new ClientAuthenticationMethod(JWT_BEARER), assertions[0], Map.of());
    }
}
