package org.fhirledger.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortTest {

    @Test
    void aPickedPortIsBelowTheEphemeralRangeAndCanBeBound() throws Exception {
        for (int i = 0; i < 20; i++) {
            int port = FreePort.pick();
            assertThat(port).isBetween(20_000, 32_767);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aPortSomethingListensOnIsNotPicked() throws Exception {
        int first = FreePort.pick(20_000, 32_766);
        try (ServerSocket held = new ServerSocket()) {
            held.bind(new InetSocketAddress(first));
            for (int i = 0; i < 50; i++) {
                assertThat(FreePort.pick(first, first + 2)).isEqualTo(first + 1);
            }
            assertThatThrownBy(() -> FreePort.pick(first, first + 1)).isInstanceOf(UncheckedIOException.class);
        }
    }
}
