package org.fhirledger.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

class AnvilExtensionTest {

    @Test
    void missingBinaryFailsNamingThePath(@TempDir Path emptyTools) {
        String before = System.getProperty("tools.dir");
        System.setProperty("tools.dir", emptyTools.toString());
        try {
            AnvilExtension anvil = AnvilExtension.automine();
            assertThatThrownBy(anvil::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(emptyTools
                            .resolve("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
                            .toString())
                    .hasMessageContaining("bin/install-tools");
        } finally {
            if (before == null) System.clearProperty("tools.dir");
            else System.setProperty("tools.dir", before);
        }
    }

    @Test
    void servesTheConfiguredChainAndKeepsStateAcrossRestart() throws Exception {
        AnvilExtension anvil = AnvilExtension.create(4242, null, 30_000_000);
        anvil.start();
        try {
            Web3j web3j = Web3j.build(new HttpService(anvil.rpcUrl()));
            assertThat(web3j.ethChainId().send().getChainId()).isEqualTo(4242);
            assertThat(anvil.privateKeys()).hasSize(10);
            var sent = web3j.ethSendTransaction(
                            org.web3j.protocol.core.methods.request.Transaction.createEtherTransaction(
                                    anvil.credentials(0).getAddress(),
                                    null,
                                    java.math.BigInteger.ZERO,
                                    java.math.BigInteger.valueOf(21_000),
                                    anvil.credentials(1).getAddress(),
                                    java.math.BigInteger.ONE))
                    .send();
            assertThat(sent.hasError()).as("transfer accepted").isFalse();
            var receipt = new org.web3j.tx.response.PollingTransactionReceiptProcessor(web3j, 50, 200)
                    .waitForTransactionReceipt(sent.getTransactionHash());
            long block = receipt.getBlockNumber().longValueExact();
            assertThat(block).isPositive();
            String url = anvil.rpcUrl();
            anvil.restart();
            assertThat(anvil.rpcUrl()).isEqualTo(url);
            assertThat(web3j.ethBlockNumber().send().getBlockNumber().longValueExact())
                    .isEqualTo(block);
            assertThat(web3j.ethGetTransactionReceipt(sent.getTransactionHash())
                            .send()
                            .getTransactionReceipt())
                    .as("mined transaction survives the restart")
                    .isPresent();
            web3j.shutdown();
        } finally {
            anvil.shutdown();
        }
        assertThat(anvil.isRunning()).isFalse();
    }
}
