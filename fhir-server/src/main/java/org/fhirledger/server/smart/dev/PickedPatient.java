package org.fhirledger.server.smart.dev;

import java.util.function.BiPredicate;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationContext;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationException;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationToken;

/**
 * The SMART patient picker as Spring Authorization Server's consent step: a standalone launch asking for
 * {@code launch/patient} by a user who is not a patient goes to the consent page ({@link PatientPickerPage}), which
 * posts the approved scopes with the picked {@code patient}. Before the library issues the code, the pick is checked
 * as a read of that Patient by this user would be (an id not offered, not theirs or not there is refused alike, and
 * the attempt ends); once it is issued, the pick is kept on the authorisation, where {@link DevTokenClaims} reads it
 * for every token of that authorisation (refreshes too).
 */
final class PickedPatient implements AuthenticationProvider {

    static final String LAUNCH_PATIENT = "launch/patient";
    /** The authorisation attribute holding the picked patient's id. */
    static final String ATTRIBUTE = "smart.patient";

    private static final OAuth2TokenType STATE = new OAuth2TokenType(OAuth2ParameterNames.STATE);
    private static final OAuth2TokenType CODE = new OAuth2TokenType(OAuth2ParameterNames.CODE);

    private final AuthenticationProvider consents;
    private final OAuth2AuthorizationService authorizations;
    private final BiPredicate<DevUser, String> maySee;

    /**
     * @param consents       the library's consent provider, which still checks the state, client, user and scopes
     * @param authorizations where the library keeps authorisations
     * @param maySee         whether this user may read this Patient
     */
    PickedPatient(
            AuthenticationProvider consents,
            OAuth2AuthorizationService authorizations,
            BiPredicate<DevUser, String> maySee) {
        this.consents = consents;
        this.authorizations = authorizations;
        this.maySee = maySee;
    }

    /** Spring Authorization Server's "consent required" rule here: a picker for launch/patient, unless a patient. */
    static boolean pickerNeeded(OAuth2AuthorizationCodeRequestAuthenticationContext context) {
        if (!context.getAuthorizationRequest().getScopes().contains(LAUNCH_PATIENT)) return false;
        Object user = context.getAuthentication().getPrincipal();
        return !(user instanceof DevLogin.DevUserAuthentication u
                && u.getPrincipal().ownPatient() != null);
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        OAuth2AuthorizationConsentAuthenticationToken consent =
                (OAuth2AuthorizationConsentAuthenticationToken) authentication;
        OAuth2Authorization pending = authorizations.findByToken(consent.getState(), STATE);
        OAuth2AuthorizationRequest request =
                pending == null ? null : pending.getAttribute(OAuth2AuthorizationRequest.class.getName());
        if (request == null || !request.getScopes().contains(LAUNCH_PATIENT)) {
            return consents.authenticate(authentication); // nothing to pick; the library refuses an unknown state
        }
        Object picked = consent.getAdditionalParameters().get("patient");
        DevUser user = consent.getPrincipal() instanceof DevLogin.DevUserAuthentication u ? u.getPrincipal() : null;
        if (!(picked instanceof String patient) || user == null || !maySee.test(user, patient)) {
            authorizations.remove(pending); // this attempt ends: the app starts again
            throw refused(request, consent);
        }
        Authentication issued = consents.authenticate(authentication);
        if (issued instanceof OAuth2AuthorizationCodeRequestAuthenticationToken t && t.getAuthorizationCode() != null) {
            OAuth2Authorization withCode =
                    authorizations.findByToken(t.getAuthorizationCode().getTokenValue(), CODE);
            if (withCode == null) {
                throw new OAuth2AuthenticationException(
                        new OAuth2Error(OAuth2ErrorCodes.SERVER_ERROR, "the authorisation was not kept", null));
            }
            authorizations.save(OAuth2Authorization.from(withCode)
                    .attribute(ATTRIBUTE, patient)
                    .build());
        }
        return issued;
    }

    /** Sent back to the app's redirect URI as {@code access_denied}, as a user's refusal would be. */
    private static OAuth2AuthenticationException refused(
            OAuth2AuthorizationRequest request, OAuth2AuthorizationConsentAuthenticationToken consent) {
        OAuth2AuthorizationCodeRequestAuthenticationToken answer =
                new OAuth2AuthorizationCodeRequestAuthenticationToken(
                        request.getAuthorizationUri(),
                        request.getClientId(),
                        (Authentication) consent.getPrincipal(),
                        request.getRedirectUri(),
                        request.getState(),
                        request.getScopes(),
                        request.getAdditionalParameters());
        return new OAuth2AuthorizationCodeRequestAuthenticationException(
                new OAuth2Error(
                        OAuth2ErrorCodes.ACCESS_DENIED,
                        "no patient this user may see was picked for launch/patient",
                        null),
                answer);
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return OAuth2AuthorizationConsentAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
