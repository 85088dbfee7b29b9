package org.fhirledger.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.junit.jupiter.api.Test;

class LedgerPropertiesTest {
    private static final ContractAddresses C = new ContractAddresses("0x1", "0x2", "0x3", "0x4", 7);

    @Test
    void unsetKeysTakeTheAdaptersDefaults() {
        LedgerProperties p = new LedgerProperties(
                true, null, null, Path.of("c.json"), null, null, "", null, null, null, null, null, null, null, null);
        LedgerConfig defaults = LedgerConfig.defaults("http://127.0.0.1:8545", 31337, C);
        // except the server's shorter outage settings: a request fails within seconds, a shutdown takes seconds
        assertThat(p.toLedgerConfig(C))
                .isEqualTo(
                        defaults.withTimeouts(defaults.receiptTimeout(), Duration.ofSeconds(5), Duration.ofSeconds(5)));
        assertThat(p.keyEnv()).isNull();
    }

    @Test
    void batchSettingsReachTheAdapter() {
        LedgerProperties p = new LedgerProperties(
                true,
                "http://node:8545",
                1337L,
                Path.of("c.json"),
                null,
                null,
                null,
                10,
                Duration.ofMillis(50),
                Duration.ofSeconds(30),
                500L,
                Duration.ofSeconds(3),
                Duration.ofSeconds(1),
                Duration.ofMillis(500),
                Duration.ofSeconds(2));
        LedgerConfig c = p.toLedgerConfig(C);
        assertThat(c.rpcUrl()).isEqualTo("http://node:8545");
        assertThat(c.chainId()).isEqualTo(1337);
        assertThat(c.maxBatchSize()).isEqualTo(10);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.receiptTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxLogsRange()).isEqualTo(500);
        assertThat(c.rpcTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.unavailableTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.probeInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.closeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.contracts()).isEqualTo(C);
    }

    @Test
    void refusesInvalidValuesNamingTheKey() {
        assertThatThrownBy(() -> new LedgerProperties(
                        true, null, 0L, null, null, null, null, null, null, null, null, null, null, null, null))
                .hasMessageContaining("ledger.chain-id");
        assertThatThrownBy(() -> new LedgerProperties(
                        true, null, null, null, null, null, null, 0, null, null, null, null, null, null, null))
                .hasMessageContaining("ledger.max-batch-size");
        assertThatThrownBy(() -> new LedgerProperties(
                        true,
                        null,
                        null,
                        null,
                        Path.of("k.json"),
                        "pw",
                        "KEY",
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null))
                .hasMessageContaining("ledger.key-file")
                .hasMessageContaining("ledger.key-env");
    }
}
