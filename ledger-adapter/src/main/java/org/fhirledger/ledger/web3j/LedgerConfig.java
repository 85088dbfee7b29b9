package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import org.fhirledger.ledger.ContractAddresses;

/**
 * Settings of {@link Web3jLedger}, made with {@link #builder} (which starts from the defaults); the keys
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
        if (rpcTimeout.isNegative() || rpcTimeout.isZero())
            throw new IllegalArgumentException("rpcTimeout must be positive");
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("probeInterval must be positive");
        }
    }

    /** The defaults, for the chain at rpcUrl with those contracts. */
    public static LedgerConfig defaults(String rpcUrl, long chainId, ContractAddresses contracts) {
        return builder(rpcUrl, chainId, contracts).build();
    }

    /** A builder holding the defaults; set what differs, then {@link Builder#build()}. */
    public static Builder builder(String rpcUrl, long chainId, ContractAddresses contracts) {
        return new Builder(rpcUrl, chainId, contracts);
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        Builder b = new Builder(rpcUrl, chainId, contracts);
        b.maxBatchSize = maxBatchSize;
        b.maxWait = maxWait;
        b.maxInFlight = maxInFlight;
        b.receiptTimeout = receiptTimeout;
        b.rebroadcastAfter = rebroadcastAfter;
        b.pollInterval = pollInterval;
        b.retryInitial = retryInitial;
        b.retryMax = retryMax;
        b.unavailableTimeout = unavailableTimeout;
        b.eventPollInterval = eventPollInterval;
        b.gasPrice = gasPrice;
        b.gasPerEntry = gasPerEntry;
        b.baseGas = baseGas;
        b.maxAttempts = maxAttempts;
        b.closeTimeout = closeTimeout;
        b.maxLogsRange = maxLogsRange;
        b.rpcTimeout = rpcTimeout;
        b.probeInterval = probeInterval;
        return b;
    }

    public LedgerConfig withBatching(int maxBatchSize, Duration maxWait) {
        return toBuilder().batching(maxBatchSize, maxWait).build();
    }

    public LedgerConfig withTimeouts(Duration receiptTimeout, Duration unavailableTimeout, Duration closeTimeout) {
        return toBuilder()
                .timeouts(receiptTimeout, unavailableTimeout, closeTimeout)
                .build();
    }

    public LedgerConfig withGas(long gasPerEntry, long baseGas) {
        return toBuilder().gasPerEntry(gasPerEntry).baseGas(baseGas).build();
    }

    public LedgerConfig withMaxInFlight(int maxInFlight) {
        return toBuilder().maxInFlight(maxInFlight).build();
    }

    public LedgerConfig withEventPollInterval(Duration eventPollInterval) {
        return toBuilder().eventPollInterval(eventPollInterval).build();
    }

    public LedgerConfig withMaxLogsRange(long maxLogsRange) {
        return toBuilder().maxLogsRange(maxLogsRange).build();
    }

    /** How long one call may take and how often the node is probed (see {@link #rpcTimeout}, {@link #probeInterval}). */
    public LedgerConfig withOutageDetection(Duration rpcTimeout, Duration probeInterval) {
        return toBuilder().rpcTimeout(rpcTimeout).probeInterval(probeInterval).build();
    }

    /** Settings of {@link LedgerConfig}, starting from the defaults; the record's constructor checks them. */
    public static final class Builder {
        private final String rpcUrl;
        private final long chainId;
        private final ContractAddresses contracts;
        private int maxBatchSize = 100;
        private Duration maxWait = Duration.ofMillis(200);
        private int maxInFlight = 32;
        private Duration receiptTimeout = Duration.ofMinutes(2);
        private Duration rebroadcastAfter = Duration.ofSeconds(3);
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration retryInitial = Duration.ofMillis(100);
        private Duration retryMax = Duration.ofSeconds(5);
        private Duration unavailableTimeout = Duration.ofSeconds(30);
        private Duration eventPollInterval = Duration.ofSeconds(1);
        private BigInteger gasPrice = BigInteger.ZERO;
        private long gasPerEntry = 45_000;
        private long baseGas = 200_000;
        private int maxAttempts = 5;
        private Duration closeTimeout = Duration.ofSeconds(30);
        private long maxLogsRange = 1000;
        private Duration rpcTimeout = Duration.ofSeconds(10);
        private Duration probeInterval = Duration.ofSeconds(2);

        private Builder(String rpcUrl, long chainId, ContractAddresses contracts) {
            this.rpcUrl = rpcUrl;
            this.chainId = chainId;
            this.contracts = contracts;
        }

        /** Entries per transaction at most, and how long the first queued entry waits for a batch to fill. */
        public Builder batching(int maxBatchSize, Duration maxWait) {
            this.maxBatchSize = maxBatchSize;
            this.maxWait = maxWait;
            return this;
        }

        /** How long a batch waits for its receipt, reads retry, and close() drains. */
        public Builder timeouts(Duration receiptTimeout, Duration unavailableTimeout, Duration closeTimeout) {
            this.receiptTimeout = receiptTimeout;
            this.unavailableTimeout = unavailableTimeout;
            this.closeTimeout = closeTimeout;
            return this;
        }

        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        public Builder maxWait(Duration maxWait) {
            this.maxWait = maxWait;
            return this;
        }

        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
            return this;
        }

        public Builder receiptTimeout(Duration receiptTimeout) {
            this.receiptTimeout = receiptTimeout;
            return this;
        }

        public Builder rebroadcastAfter(Duration rebroadcastAfter) {
            this.rebroadcastAfter = rebroadcastAfter;
            return this;
        }

        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
            return this;
        }

        public Builder retryInitial(Duration retryInitial) {
            this.retryInitial = retryInitial;
            return this;
        }

        public Builder retryMax(Duration retryMax) {
            this.retryMax = retryMax;
            return this;
        }

        public Builder unavailableTimeout(Duration unavailableTimeout) {
            this.unavailableTimeout = unavailableTimeout;
            return this;
        }

        public Builder eventPollInterval(Duration eventPollInterval) {
            this.eventPollInterval = eventPollInterval;
            return this;
        }

        public Builder gasPrice(BigInteger gasPrice) {
            this.gasPrice = gasPrice;
            return this;
        }

        public Builder gasPerEntry(long gasPerEntry) {
            this.gasPerEntry = gasPerEntry;
            return this;
        }

        public Builder baseGas(long baseGas) {
            this.baseGas = baseGas;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        public Builder maxLogsRange(long maxLogsRange) {
            this.maxLogsRange = maxLogsRange;
            return this;
        }

        public Builder rpcTimeout(Duration rpcTimeout) {
            this.rpcTimeout = rpcTimeout;
            return this;
        }

        public Builder probeInterval(Duration probeInterval) {
            this.probeInterval = probeInterval;
            return this;
        }

        public LedgerConfig build() {
            return new LedgerConfig(
                    rpcUrl,
                    chainId,
                    contracts,
                    maxBatchSize,
                    maxWait,
                    maxInFlight,
                    receiptTimeout,
                    rebroadcastAfter,
                    pollInterval,
                    retryInitial,
                    retryMax,
                    unavailableTimeout,
                    eventPollInterval,
                    gasPrice,
                    gasPerEntry,
                    baseGas,
                    maxAttempts,
                    closeTimeout,
                    maxLogsRange,
                    rpcTimeout,
                    probeInterval);
        }
    }
}
