package org.fhirledger.anchor.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.fhirledger.anchor.AccessAppended;
import org.fhirledger.anchor.ChainPosition;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.LedgerEventSource;
import org.fhirledger.anchor.RecordAppended;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessLedger;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.http.HttpService;

/**
 * Reads the private chain's ledger entries: the {@code RecordAppended} and {@code AccessAppended} events of one
 * deployment's RecordLedger and AccessLedger, in chain order (block number, log index), with
 * {@code eth_getLogs} windows of at most {@code maxLogsRange} blocks. Plain JSON-RPC reads; errors are thrown
 * ({@link IOException}) for the caller to retry.
 */
public final class LedgerEventReader implements LedgerEventSource {
    static final String RECORD_TOPIC = EventEncoder.encode(RecordLedger.RECORDAPPENDED_EVENT);
    static final String ACCESS_TOPIC = EventEncoder.encode(AccessLedger.ACCESSAPPENDED_EVENT);

    private final Web3j web3j;
    private final String recordLedger;
    private final String accessLedger;
    private final long maxLogsRange;

    private LedgerEventReader(Web3j web3j, String recordLedger, String accessLedger, long maxLogsRange) {
        this.web3j = web3j;
        this.recordLedger = recordLedger.toLowerCase(java.util.Locale.ROOT);
        this.accessLedger = accessLedger.toLowerCase(java.util.Locale.ROOT);
        this.maxLogsRange = maxLogsRange;
    }

    /** A reader for the node at {@code rpcUrl}; nothing is called until the first read. */
    public static LedgerEventReader create(String rpcUrl, String recordLedger, String accessLedger, long maxLogsRange) {
        return create(rpcUrl, recordLedger, accessLedger, maxLogsRange, java.time.Duration.ofSeconds(30));
    }

    /** As above; one call (connect, send, answer) fails after {@code rpcTimeout}. */
    public static LedgerEventReader create(
            String rpcUrl, String recordLedger, String accessLedger, long maxLogsRange, java.time.Duration rpcTimeout) {
        if (maxLogsRange < 1) throw new IllegalArgumentException("maxLogsRange must be at least 1");
        long timeout = rpcTimeout.toMillis();
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(Math.min(timeout, 5000), TimeUnit.MILLISECONDS)
                .readTimeout(timeout, TimeUnit.MILLISECONDS)
                .callTimeout(timeout, TimeUnit.MILLISECONDS)
                .build();
        return new LedgerEventReader(
                Web3j.build(new HttpService(rpcUrl, http)), recordLedger, accessLedger, maxLogsRange);
    }

    /** Checks that the node serves {@code expected}. */
    public void checkChainId(long expected, String rpcUrl) throws IOException {
        long chainId = web3j.ethChainId().send().getChainId().longValueExact();
        if (chainId != expected) throw new ChainIdMismatchException(expected, chainId, rpcUrl);
    }

    @Override
    public long latestBlock() throws IOException {
        return web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
    }

    /** The hash of block {@code number} on the node's canonical chain, empty if it has no such block. */
    @Override
    public Optional<String> blockHash(long number) throws IOException {
        EthBlock b = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false)
                .send();
        if (b.hasError())
            throw new IOException("eth_getBlockByNumber: " + b.getError().getMessage());
        return b.getBlock() == null
                ? Optional.empty()
                : Optional.of(b.getBlock().getHash());
    }

    /** The ledger entries logged in blocks {@code from..to} (inclusive), in chain order. */
    @Override
    public List<LedgerEvent> events(long from, long to) throws IOException {
        List<LedgerEvent> out = new ArrayList<>();
        for (long start = from; start <= to; start += maxLogsRange) {
            long end = Math.min(to, start + maxLogsRange - 1);
            EthFilter filter = new EthFilter(
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(start)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(end)),
                    List.of(recordLedger, accessLedger));
            filter.addOptionalTopics(RECORD_TOPIC, ACCESS_TOPIC);
            EthLog logs = web3j.ethGetLogs(filter).send();
            if (logs.hasError())
                throw new IOException("eth_getLogs: " + logs.getError().getMessage());
            List<Log> window = new ArrayList<>();
            for (EthLog.LogResult<?> r : logs.getLogs()) window.add((Log) r.get());
            window.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
            for (Log log : window) {
                if (log.isRemoved()) continue;
                decode(log).ifPresent(out::add);
            }
        }
        return out;
    }

    private Optional<LedgerEvent> decode(Log log) {
        String address = log.getAddress().toLowerCase(java.util.Locale.ROOT);
        String topic = log.getTopics().get(0);
        ChainPosition at = new ChainPosition(
                log.getBlockNumber().longValueExact(),
                log.getBlockHash(),
                log.getLogIndex().longValueExact(),
                log.getTransactionHash());
        if (address.equals(recordLedger) && RECORD_TOPIC.equals(topic)) {
            RecordLedger.RecordAppendedEventResponse e = RecordLedger.getRecordAppendedEventFromLog(log);
            return Optional.of(new RecordAppended(
                    at,
                    e.seq.longValueExact(),
                    Bytes32.of(e.resource),
                    e.version.longValueExact(),
                    Bytes32.of(e.patient),
                    Bytes32.of(e.contentHash),
                    e.cid,
                    e.custodian));
        }
        if (address.equals(accessLedger) && ACCESS_TOPIC.equals(topic)) {
            AccessLedger.AccessAppendedEventResponse e = AccessLedger.getAccessAppendedEventFromLog(log);
            return Optional.of(new AccessAppended(
                    at,
                    e.seq.longValueExact(),
                    Bytes32.of(e.patient),
                    Bytes32.of(e.resource),
                    e.actor,
                    e.action.intValueExact(),
                    e.outcome.intValueExact(),
                    e.time.longValueExact(),
                    Bytes32.of(e.auditHash)));
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        web3j.shutdown();
    }
}
