package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Event;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * What both ledger lanes share: one contract, one append event carrying each entry's key and sequence number,
 * and reading those events back from receipts and from {@code eth_getLogs}.
 *
 * @param <E> entry type
 * @param <K> the key under which the contract refuses duplicates
 */
abstract class EventLane<E, K> implements Lane<E> {

    /** Key and sequence number of one append event. */
    record Appended<K>(K key, long seq) {}

    private final Web3j web3j;
    private final String name;
    private final String address;
    private final long fromBlock;
    private final String eventTopic;
    private final String duplicateError;
    private long maxLogsRange = 1000;

    EventLane(Web3j web3j, String name, String address, long fromBlock, Event event, String duplicateError) {
        this.web3j = web3j;
        this.name = name;
        this.address = address;
        this.fromBlock = fromBlock;
        this.eventTopic = EventEncoder.encode(event);
        this.duplicateError = duplicateError;
    }

    /** The key of an entry, as the contract sees it. */
    abstract K key(E entry);

    /** Key and sequence number of one of this lane's append events. */
    abstract Appended<K> appended(Log log);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String contractAddress() {
        return address;
    }

    @Override
    public final String duplicateError() {
        return duplicateError;
    }

    @Override
    public final Map<E, LedgerReceipt> recorded(TransactionReceipt receipt, List<E> entries) {
        Map<K, LedgerReceipt> byKey = new HashMap<>();
        for (Log log : receipt.getLogs()) {
            if (!log.getAddress().equalsIgnoreCase(address)
                    || !eventTopic.equals(log.getTopics().get(0))) continue;
            Appended<K> a = appended(log);
            byKey.put(
                    a.key(),
                    new LedgerReceipt(
                            a.seq(),
                            receipt.getTransactionHash(),
                            receipt.getBlockNumber().longValueExact()));
        }
        Map<E, LedgerReceipt> out = new HashMap<>();
        for (E e : entries) {
            LedgerReceipt r = byKey.get(key(e));
            if (r != null) out.put(e, r);
        }
        return out;
    }

    /**
     * This lane's append events whose indexed topics match ({@code null} matches any), in ledger order.
     * Logs the node reports as removed (a reorganised block) are dropped.
     */
    final List<Log> events(String... indexedTopics) throws IOException {
        long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        List<Log> out = new ArrayList<>();
        // in windows: nodes cap the block range of one eth_getLogs (Besu --rpc-max-logs-range, default 1000)
        for (long from = fromBlock; from <= latest; from += maxLogsRange) {
            out.addAll(window(from, Math.min(latest, from + maxLogsRange - 1), indexedTopics));
        }
        return out;
    }

    /**
     * The newest matching event, paging back from the latest block: a duplicate being resolved was usually
     * recorded recently (crash recovery), so this stops after a window or two instead of reading the whole chain.
     */
    final Optional<Log> newest(Predicate<Log> test, String... indexedTopics) throws IOException {
        long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        for (long to = latest; to >= fromBlock; to -= maxLogsRange) {
            List<Log> logs = window(Math.max(fromBlock, to - maxLogsRange + 1), to, indexedTopics);
            for (int i = logs.size() - 1; i >= 0; i--) {
                if (test.test(logs.get(i))) return Optional.of(logs.get(i));
            }
        }
        return Optional.empty();
    }

    private List<Log> window(long from, long to, String... indexedTopics) throws IOException {
        EthFilter filter = new EthFilter(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)),
                address);
        filter.addSingleTopic(eventTopic);
        for (String topic : indexedTopics) {
            if (topic == null) {
                filter.addNullTopic();
            } else {
                filter.addSingleTopic(topic);
            }
        }
        EthLog logs = web3j.ethGetLogs(filter).send();
        if (logs.hasError())
            throw new LedgerException("eth_getLogs failed: " + logs.getError().getMessage());
        List<Log> out = new ArrayList<>();
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            if (!log.isRemoved()) out.add(log);
        }
        return out;
    }

    /** Blocks per eth_getLogs call at most; set once at connect, before any lookup. */
    final void maxLogsRange(long blocks) {
        if (blocks < 1) throw new IllegalArgumentException("maxLogsRange < 1");
        this.maxLogsRange = blocks;
    }

    static LedgerReceipt receiptOf(Log log, long seq) {
        return new LedgerReceipt(
                seq, log.getTransactionHash(), log.getBlockNumber().longValueExact());
    }
}
