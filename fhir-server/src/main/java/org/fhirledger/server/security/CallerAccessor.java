package org.fhirledger.server.security;

import java.util.Optional;

/** How later stages (authorisation, audit) learn who is calling, without knowing how tokens are checked. */
public interface CallerAccessor {

    /** The caller of the request being handled on this thread; empty for anonymous (public) requests. */
    Optional<Caller> current();
}
