package org.fhirledger.server.smart.dev;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.security.CallerClaims;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * The dev login: no password, the dev user says who they are (role, fhirUser),
 * exactly what bin/dev-token lets anyone on the machine do. The role is then held on the local chain by the same
 * dev ledger account bin/dev-token would use. Dev mode only.
 */
final class DevLogin implements AuthenticationProvider {

    static final String ROLE = "role";
    static final String FHIR_USER = "fhirUser";

    private final Path dataDir;
    private final DevLedgerAccounts accounts;

    DevLogin(Path dataDir, DevLedgerAccounts accounts) {
        this.dataDir = dataDir;
        this.accounts = accounts;
    }

    /** What the form sent besides the role (Spring's form login carries one "username"). */
    record Details(String fhirUser) {
        static Details of(HttpServletRequest request) {
            return new Details(blankToNull(request.getParameter(FHIR_USER)));
        }
    }

    /** An authenticated dev user (in the login session, and as the principal of their authorisations). */
    static final class DevUserAuthentication extends AbstractAuthenticationToken {
        private final DevUser user;

        DevUserAuthentication(DevUser user) {
            super(List.of(new SimpleGrantedAuthority("ROLE_DEV_USER")));
            this.user = user;
            setAuthenticated(true);
        }

        @Override
        public DevUser getPrincipal() {
            return user;
        }

        @Override
        public Object getCredentials() {
            return null;
        }

        @Override
        public String getName() {
            return user.subject();
        }
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        Role role;
        try {
            role = Role.valueOf(authentication.getName().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadCredentialsException("Pick a role");
        }
        Details details = authentication.getDetails() instanceof Details d ? d : new Details(null);
        if (details.fhirUser() != null
                && !CallerClaims.FHIR_USER.matcher(details.fhirUser()).matches()) {
            throw new BadCredentialsException("fhirUser must reference a Practitioner, PractitionerRole, Patient, "
                    + "RelatedPerson or Person, e.g. Practitioner/123");
        }
        DevUser user = new DevUser(role, details.fhirUser() == null ? null : CallerClaims.relative(details.fhirUser()));
        try {
            accounts.ensureRole(dataDir, user.role(), user.fhirUser());
        } catch (IllegalStateException | IOException e) {
            throw new AuthenticationServiceException(
                    "The role cannot be held on the local chain: " + e.getMessage(), e);
        }
        return new DevUserAuthentication(user);
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
