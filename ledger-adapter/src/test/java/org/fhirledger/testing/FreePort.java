package org.fhirledger.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A port for a process the test starts a little later (a server, anvil, an IPFS daemon).
 *
 * <p>Ports come from below Linux's ephemeral range (32768–60999): a port the kernel hands out for {@code
 * new ServerSocket(0)} is in that range and, while the process starts, the kernel may give the same port to
 * any outgoing connection (a test's HTTP client, a JDBC connection), so the process then fails to bind. Below
 * the range only another test's explicit choice can collide, and a random choice makes that unlikely.
 */
public final class FreePort {

    private static final int FIRST = 20_000;
    private static final int END = 32_768;

    private FreePort() {}

    /** A port nothing listens on now, on any address. */
    public static int pick() {
        return pick(FIRST, END);
    }

    static int pick(int first, int end) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(first, end);
            if (bindable(port)) {
                return port;
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + first + "–" + (end - 1)));
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
