package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerUnavailableException;

/**
 * Settings of {@link Web3jLedger}. Defaults in {@link #defaults(String, long, ContractAddresses)}; the keys
 * named in docs/ledger.md are {@code ledger.<component name>}.
 *
 * @param maxBatchSize entries per transaction at most
 * @param maxWait how long the first queued entry waits for a batch to fill
 * @param maxInFlight signed transactions awaiting their receipt at most (pipelining across blocks)
 * @param receiptTimeout a batch without receipt for this long fails its entries
 * @param rebroadcastAfter a transaction the node does not know after this long is sent again (node restart)
 * @param pollInterval how often receipts are polled
 * @param retryInitial first backoff after a transient RPC error, doubled up to retryMax
 * @param retryMax longest backoff
 * @param unavailableTimeout reads retry transient errors this long, then throw LedgerUnavailableException
 * @param eventPollInterval how often role/consent events are fetched (eth_getLogs)
 * @param gasPrice gas price of every transaction (0 on the private chain)
 * @param gasPerEntry gas limit per entry in a batch, added to baseGas
 * @param baseGas gas limit of a batch besides its entries
 * @param maxAttempts a batch that reverted this often fails its entries
 * @param closeTimeout close() waits this long for in-flight entries
 * @param maxLogsRange blocks per eth_getLogs call at most (Besu refuses wider ranges: --rpc-max-logs-range,
 *     default 1000); event lookups and the event poller page through the chain in windows of this size
 * @param rpcTimeout one JSON-RPC call (connect, send, answer) fails after this long: a hung node holds no thread longer
 * @param probeInterval how often the node is probed (eth_blockNumber); one failed probe marks it down, and reads then
 *     fail at once (no retries) until a probe succeeds again
 */
public record LedgerConfig(
        String rpcUrl,
        long chainId,
        ContractAddresses contracts,
        int maxBatchSize,
        Duration maxWait,
        int maxInFlight,
        Duration receiptTimeout,
        Duration rebroadcastAfter,
        Duration pollInterval,
        Duration retryInitial,
        Duration retryMax,
        Duration unavailableTimeout,
        Duration eventPollInterval,
        BigInteger gasPrice,
        long gasPerEntry,
        long baseGas,
        int maxAttempts,
        Duration closeTimeout,
        long maxLogsRange,
        Duration rpcTimeout,
        Duration probeInterval) {

    public LedgerConfig {
        Objects.requireNonNull(rpcUrl, "rpcUrl");
        Objects.requireNonNull(contracts, "contracts");
        if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize < 1");
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight < 1");
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts < 1");
        if (maxLogsRange < 1) throw new IllegalArgumentException("maxLogsRange < 1");
        Objects.requireNonNull(rpcTimeout, "rpcTimeout");
        Objects.requireNonNull(probeInterval, "probeInterval");
        if (rpcTimeout.isNegative() || rpcTimeout.isZero()) throw new IllegalArgumentException("rpcTimeout must be positive");
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("probeInterval must be positive");
        }
    }

    public static LedgerConfig defaults(String rpcUrl, long chainId, ContractAddresses contracts) {
        return new LedgerConfig(rpcUrl, chainId, contracts, 100, Duration.ofMillis(200), 32,
                Duration.ofMinutes(2), Duration.ofSeconds(3), Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(1), BigInteger.ZERO, 45_000,
                200_000, 5, Duration.ofSeconds(30), 1000, Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    public LedgerConfig withBatching(int maxBatchSize, Duration maxWait) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    public LedgerConfig withTimeouts(Duration receiptTimeout, Duration unavailableTimeout, Duration closeTimeout) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    public LedgerConfig withGas(long gasPerEntry, long baseGas) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    public LedgerConfig withMaxInFlight(int maxInFlight) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    public LedgerConfig withEventPollInterval(Duration eventPollInterval) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    public LedgerConfig withMaxLogsRange(long maxLogsRange) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }

    /** How long one call may take and how often the node is probed (see {@link #rpcTimeout}, {@link #probeInterval}). */
    public LedgerConfig withOutageDetection(Duration rpcTimeout, Duration probeInterval) {
        return new LedgerConfig(rpcUrl, chainId, contracts, maxBatchSize, maxWait, maxInFlight, receiptTimeout,
                rebroadcastAfter, pollInterval, retryInitial, retryMax, unavailableTimeout, eventPollInterval,
                gasPrice, gasPerEntry, baseGas, maxAttempts, closeTimeout, maxLogsRange, rpcTimeout, probeInterval);
    }
}
