package org.fhirledger.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpfsNodeTest {

    @Test
    void missingToolsFailWithThePath(@TempDir Path empty) {
        assertThatThrownBy(() -> IpfsNode.start(empty))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(
                        empty.resolve("node_modules/ipfs/src/cli.js").toString());
    }

    @Test
    void stopEndsTheWholeProcessTreeAndCloseRemovesTheRepository() throws IOException {
        IpfsNode node = IpfsNode.start(IpfsNode.toolsDirFromSystemProperty());
        Path repo = node.repo();
        List<ProcessHandle> before;
        try {
            assertThat(node.isRunning()).isTrue();
            assertThat(accepts(node.apiUrl().getPort())).isTrue();
            before = ProcessHandle.current().descendants().toList();
            assertThat(before).isNotEmpty();

            node.stop();
            assertThat(node.isRunning()).isFalse();
            assertThat(before).noneMatch(ProcessHandle::isAlive);
            assertThat(accepts(node.apiUrl().getPort())).isFalse();
        } finally {
            node.close();
        }
        assertThat(Files.exists(repo)).isFalse();
    }

    private static boolean accepts(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }
}
