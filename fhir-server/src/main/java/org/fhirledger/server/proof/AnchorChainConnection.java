package org.fhirledger.server.proof;

import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.AnchorChainUnavailableException;

/**
 * Finds the public chain's anchor registry (dev mode deploys one when there is none) and connects to it. The
 * anchor job calls it from its own thread, again at its next run after a failure; the wiring picks the adapter
 * ({@link AnchorBootstrap#connection}).
 */
@FunctionalInterface
interface AnchorChainConnection {

    /** @throws AnchorChainUnavailableException the public chain does not answer (retried at the next run) */
    Connected open();

    /** The registry's address and the chain connected to it. */
    record Connected(String registry, AnchorChain chain) {}
}
