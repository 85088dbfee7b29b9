package org.fhirledger.testing;

import java.net.URI;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one real js-ipfs daemon for a test class and stops it (process tree included) afterwards.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final IpfsNodeExtension IPFS = new IpfsNodeExtension();
 * ... new KuboContentStore(KuboConfig.defaults(IPFS.apiUrl()))
 * </pre>
 *
 * The js-ipfs tools come from system property {@code tools.dir}; missing tools fail the class with the path.
 */
public final class IpfsNodeExtension implements BeforeAllCallback, AfterAllCallback {
    private IpfsNode node;

    @Override
    public void beforeAll(ExtensionContext context) {
        node = IpfsNode.start(IpfsNode.toolsDirFromSystemProperty());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    /** Base URL of the Kubo RPC API (http://127.0.0.1:port); stable across stop()/start(). */
    public URI apiUrl() {
        return node().apiUrl();
    }

    /** Stops the daemon, for outage tests. */
    public void stop() {
        node().stop();
    }

    /** Starts it again on the same repository and port. */
    public void start() {
        node().start();
    }

    public boolean isRunning() {
        return node != null && node.isRunning();
    }

    public IpfsNode node() {
        if (node == null) {
            throw new IllegalStateException(
                    "IPFS node not started: register the extension with @RegisterExtension " + "on a static field");
        }
        return node;
    }
}
