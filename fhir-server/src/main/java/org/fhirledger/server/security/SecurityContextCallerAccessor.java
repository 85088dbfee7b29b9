package org.fhirledger.server.security;

import java.util.Optional;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** Reads the caller Spring Security established for this request thread (HAPI runs on the same thread). */
public final class SecurityContextCallerAccessor implements CallerAccessor {

    @Override
    public Optional<Caller> current() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth instanceof CallerAuthentication ca ? Optional.of(ca.getPrincipal()) : Optional.empty();
    }
}
