package org.fhirledger.server.ledger;

import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The private chain the server records on, under {@code ledger.*}. Every key is documented in
 * docs/configuration.md; the batch settings default to the adapter's ({@link LedgerConfig#defaults}).
 *
 * @param enabled        connect to the chain at start-up (off by default; bin/run turns it on)
 * @param rpcUrl         the node's JSON-RPC URL
 * @param chainId        the chain id the node must serve
 * @param contractsFile  the deployed contract addresses and the first block to search events from
 * @param keyFile        the server's signing key as a web3j encrypted keystore (with {@code keyPassword})
 * @param keyPassword    the keystore's password
 * @param keyEnv         name of an environment variable holding the hex private key (instead of keyFile)
 * @param maxBatchSize   entries per transaction at most
 * @param maxWait        how long the first queued entry waits for a batch to fill
 * @param receiptTimeout a batch without receipt for this long fails its entries
 * @param maxLogsRange   blocks per eth_getLogs call at most
 * @param rpcTimeout     one JSON-RPC call fails after this long (a hung node holds no request longer)
 * @param unavailableTimeout a read retries transient errors this long, then fails (503 on the request path) and
 *                       marks the chain down
 * @param probeInterval  how often the chain is probed in the background: one failed probe marks it down (reads then
 *                       fail at once, health and $ledger-status say so) until a probe succeeds
 * @param closeTimeout   at shutdown, how long in-flight entries may take to be mined (none when the chain is down);
 *                       what is left stays in the outbox and goes out after the restart
 */
@ConfigurationProperties("ledger")
public record LedgerProperties(
        boolean enabled,
        String rpcUrl,
        Long chainId,
        Path contractsFile,
        Path keyFile,
        String keyPassword,
        String keyEnv,
        Integer maxBatchSize,
        Duration maxWait,
        Duration receiptTimeout,
        Long maxLogsRange,
        Duration rpcTimeout,
        Duration unavailableTimeout,
        Duration probeInterval,
        Duration closeTimeout) {

    private static final LedgerConfig DEFAULTS =
            LedgerConfig.defaults("http://127.0.0.1:8545", 31337, new ContractAddresses("", "", "", "", 0));

    public LedgerProperties {
        rpcUrl = blankToNull(rpcUrl) == null ? DEFAULTS.rpcUrl() : rpcUrl.trim();
        chainId = chainId == null ? DEFAULTS.chainId() : chainId;
        keyPassword = keyPassword == null ? "" : keyPassword;
        keyEnv = blankToNull(keyEnv);
        maxBatchSize = maxBatchSize == null ? DEFAULTS.maxBatchSize() : maxBatchSize;
        maxWait = maxWait == null ? DEFAULTS.maxWait() : maxWait;
        receiptTimeout = receiptTimeout == null ? DEFAULTS.receiptTimeout() : receiptTimeout;
        maxLogsRange = maxLogsRange == null ? DEFAULTS.maxLogsRange() : maxLogsRange;
        rpcTimeout = rpcTimeout == null ? DEFAULTS.rpcTimeout() : rpcTimeout;
        unavailableTimeout = unavailableTimeout == null ? Duration.ofSeconds(5) : unavailableTimeout;
        probeInterval = probeInterval == null ? DEFAULTS.probeInterval() : probeInterval;
        closeTimeout = closeTimeout == null ? Duration.ofSeconds(5) : closeTimeout;
        for (Duration d : new Duration[] {rpcTimeout, probeInterval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("ledger.rpc-timeout and ledger.probe-interval must be positive");
            }
        }
        if (unavailableTimeout.isNegative() || closeTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "ledger.unavailable-timeout and ledger.close-timeout must not be negative");
        }
        if (chainId <= 0) throw new IllegalArgumentException("ledger.chain-id must be positive, got " + chainId);
        if (maxBatchSize < 1) throw new IllegalArgumentException("ledger.max-batch-size must be at least 1");
        if (maxLogsRange < 1) throw new IllegalArgumentException("ledger.max-logs-range must be at least 1");
        if (maxWait.isNegative() || receiptTimeout.isNegative() || receiptTimeout.isZero()) {
            throw new IllegalArgumentException(
                    "ledger.max-wait must not be negative and ledger.receipt-timeout must be positive");
        }
        if (keyFile != null && keyEnv != null) {
            throw new IllegalArgumentException("set either ledger.key-file or ledger.key-env, not both");
        }
    }

    /** The adapter's settings for these contracts. */
    public LedgerConfig toLedgerConfig(ContractAddresses contracts) {
        return LedgerConfig.builder(rpcUrl, chainId, contracts)
                .batching(maxBatchSize, maxWait)
                .timeouts(receiptTimeout, unavailableTimeout, closeTimeout)
                .maxLogsRange(maxLogsRange)
                .rpcTimeout(rpcTimeout)
                .probeInterval(probeInterval)
                .build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
