package org.fhirledger.ledger;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.contracts.generated.RecordLedger;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/** RecordLedger.appendRecords batches; an entry's key is (resource, version). */
final class RecordLane implements Lane<RecordEntry> {
    static final String EVENT_TOPIC = EventEncoder.encode(RecordLedger.RECORDAPPENDED_EVENT);

    private record Key(org.fhirledger.ledger.Bytes32 resource, long version) {}

    private final Web3j web3j;
    private final RecordLedger contract; // read-only use: views
    private final String address;
    private final long fromBlock;

    RecordLane(Web3j web3j, RecordLedger contract, long fromBlock) {
        this.web3j = web3j;
        this.contract = contract;
        this.address = contract.getContractAddress();
        this.fromBlock = fromBlock;
    }

    @Override
    public String name() {
        return "record-ledger";
    }

    @Override
    public String contractAddress() {
        return address;
    }

    @Override
    public String duplicateError() {
        return "DuplicateRecord";
    }

    @Override
    public String encode(List<RecordEntry> entries) {
        Function f = new Function(RecordLedger.FUNC_APPENDRECORDS, List.of(
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.resource().toArray())).toList()),
                new DynamicArray<>(Uint64.class, entries.stream().map(e -> new Uint64(e.version())).toList()),
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.contentHash().toArray())).toList()),
                new DynamicArray<>(DynamicBytes.class, entries.stream().map(e -> new DynamicBytes(e.cid())).toList()),
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.patient().toArray())).toList())),
                List.of());
        return FunctionEncoder.encode(f);
    }

    @Override
    public Map<RecordEntry, LedgerReceipt> recorded(TransactionReceipt receipt, List<RecordEntry> entries) {
        Map<Key, LedgerReceipt> byKey = new HashMap<>();
        for (Log log : receipt.getLogs()) {
            if (!log.getAddress().equalsIgnoreCase(address) || !EVENT_TOPIC.equals(log.getTopics().get(0))) continue;
            RecordLedger.RecordAppendedEventResponse ev = RecordLedger.getRecordAppendedEventFromLog(log);
            byKey.put(new Key(org.fhirledger.ledger.Bytes32.of(ev.resource), ev.version.longValueExact()),
                    new LedgerReceipt(ev.seq.longValueExact(), receipt.getTransactionHash(),
                            receipt.getBlockNumber().longValueExact()));
        }
        Map<RecordEntry, LedgerReceipt> out = new HashMap<>();
        for (RecordEntry e : entries) {
            LedgerReceipt r = byKey.get(new Key(e.resource(), e.version()));
            if (r != null) out.put(e, r);
        }
        return out;
    }

    @Override
    public Optional<LedgerReceipt> existing(RecordEntry entry) throws IOException {
        Optional<RecordInfo> info = find(entry.resource(), entry.version());
        if (info.isEmpty()) return Optional.empty();
        RecordEntry onChain = info.get().entry();
        if (!onChain.contentHash().equals(entry.contentHash()) || !Arrays.equals(onChain.cid(), entry.cid())
                || !onChain.patient().equals(entry.patient())) {
            throw new ConflictingEntryException("resource " + entry.resource() + " version " + entry.version()
                    + " is already recorded with other content (seq " + info.get().receipt().seq() + ")");
        }
        return Optional.of(info.get().receipt());
    }

    /** The entry from its event, found by its (resource, version) topics. */
    Optional<RecordInfo> find(org.fhirledger.ledger.Bytes32 resource, long version) throws IOException {
        List<RecordInfo> found = query(resource.toHex(),
                Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(version), 64));
        return found.stream().findFirst();
    }

    /** Every recorded version of the resource, in ledger order (topic 1 of RecordAppended). */
    List<RecordInfo> history(org.fhirledger.ledger.Bytes32 resource) throws IOException {
        return query(resource.toHex(), null);
    }

    private List<RecordInfo> query(String resourceTopic, String versionTopic) throws IOException {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address);
        filter.addSingleTopic(EVENT_TOPIC);
        filter.addSingleTopic(resourceTopic);
        if (versionTopic != null) filter.addSingleTopic(versionTopic);
        EthLog logs = web3j.ethGetLogs(filter).send();
        if (logs.hasError()) throw new LedgerException("eth_getLogs failed: " + logs.getError().getMessage());
        List<RecordInfo> out = new java.util.ArrayList<>();
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            if (log.isRemoved()) continue;
            RecordLedger.RecordAppendedEventResponse ev = RecordLedger.getRecordAppendedEventFromLog(log);
            RecordEntry e = new RecordEntry(org.fhirledger.ledger.Bytes32.of(ev.resource), ev.version.longValueExact(),
                    org.fhirledger.ledger.Bytes32.of(ev.contentHash), ev.cid, org.fhirledger.ledger.Bytes32.of(ev.patient));
            out.add(new RecordInfo(e, new LedgerReceipt(ev.seq.longValueExact(), log.getTransactionHash(),
                    log.getBlockNumber().longValueExact())));
        }
        return out;
    }

    RecordLedger contract() {
        return contract;
    }
}
