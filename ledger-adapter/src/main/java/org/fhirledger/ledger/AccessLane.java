package org.fhirledger.ledger;

import java.io.IOException;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.contracts.generated.AccessLedger;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.utils.Numeric;

/** AccessLedger.appendAccesses batches; an entry's key is its audit hash. */
final class AccessLane implements Lane<AccessEntry> {
    static final String EVENT_TOPIC = EventEncoder.encode(AccessLedger.ACCESSAPPENDED_EVENT);

    private final Web3j web3j;
    private final AccessLedger contract;
    private final String address;
    private final long fromBlock;

    AccessLane(Web3j web3j, AccessLedger contract, long fromBlock) {
        this.web3j = web3j;
        this.contract = contract;
        this.address = contract.getContractAddress();
        this.fromBlock = fromBlock;
    }

    @Override
    public String name() {
        return "access-ledger";
    }

    @Override
    public String contractAddress() {
        return address;
    }

    @Override
    public String duplicateError() {
        return "DuplicateAudit";
    }

    @Override
    public String encode(List<AccessEntry> entries) {
        Function f = new Function(AccessLedger.FUNC_APPENDACCESSES, List.of(
                new DynamicArray<>(Address.class, entries.stream().map(e -> new Address(e.actor())).toList()),
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.patient().toArray())).toList()),
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.resource().toArray())).toList()),
                new DynamicArray<>(Uint8.class, entries.stream().map(e -> new Uint8(e.action())).toList()),
                new DynamicArray<>(Uint8.class, entries.stream().map(e -> new Uint8(e.outcome().ordinal())).toList()),
                new DynamicArray<>(Uint64.class, entries.stream().map(e -> new Uint64(e.time())).toList()),
                new DynamicArray<>(Bytes32.class, entries.stream().map(e -> new Bytes32(e.auditHash().toArray())).toList())),
                List.of());
        return FunctionEncoder.encode(f);
    }

    @Override
    public Map<AccessEntry, LedgerReceipt> recorded(TransactionReceipt receipt, List<AccessEntry> entries) {
        Map<org.fhirledger.ledger.Bytes32, LedgerReceipt> byHash = new HashMap<>();
        for (Log log : receipt.getLogs()) {
            if (!log.getAddress().equalsIgnoreCase(address) || !EVENT_TOPIC.equals(log.getTopics().get(0))) continue;
            AccessLedger.AccessAppendedEventResponse ev = AccessLedger.getAccessAppendedEventFromLog(log);
            byHash.put(org.fhirledger.ledger.Bytes32.of(ev.auditHash), new LedgerReceipt(ev.seq.longValueExact(),
                    receipt.getTransactionHash(), receipt.getBlockNumber().longValueExact()));
        }
        Map<AccessEntry, LedgerReceipt> out = new HashMap<>();
        for (AccessEntry e : entries) {
            LedgerReceipt r = byHash.get(e.auditHash());
            if (r != null) out.put(e, r);
        }
        return out;
    }

    @Override
    public Optional<LedgerReceipt> existing(AccessEntry entry) throws IOException {
        Optional<Long> seq = seqOf(entry.auditHash());
        if (seq.isEmpty()) return Optional.empty();
        // the event is found by its indexed fields; the audit hash identifies the AuditEvent, so same hash = same entry
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address);
        filter.addSingleTopic(EVENT_TOPIC);
        filter.addSingleTopic(entry.patient().toHex());
        filter.addSingleTopic(entry.resource().toHex());
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(entry.actor()), 64));
        EthLog logs = web3j.ethGetLogs(filter).send();
        if (logs.hasError()) throw new LedgerException("eth_getLogs failed: " + logs.getError().getMessage());
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            AccessLedger.AccessAppendedEventResponse ev = AccessLedger.getAccessAppendedEventFromLog(log);
            if (ev.seq.longValueExact() == seq.get()) {
                return Optional.of(new LedgerReceipt(seq.get(), log.getTransactionHash(),
                        log.getBlockNumber().longValueExact()));
            }
        }
        throw new ConflictingEntryException("audit hash " + entry.auditHash()
                + " is already recorded (seq " + seq.get() + ") with another actor, patient or resource");
    }

    /** Every access entry about the patient's compartment, in ledger order (topic 1 of AccessAppended). */
    List<AccessInfo> ofPatient(org.fhirledger.ledger.Bytes32 patient) throws IOException {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address);
        filter.addSingleTopic(EVENT_TOPIC);
        filter.addSingleTopic(patient.toHex());
        EthLog logs = web3j.ethGetLogs(filter).send();
        if (logs.hasError()) throw new LedgerException("eth_getLogs failed: " + logs.getError().getMessage());
        List<AccessInfo> out = new java.util.ArrayList<>();
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            if (log.isRemoved()) continue;
            AccessLedger.AccessAppendedEventResponse ev = AccessLedger.getAccessAppendedEventFromLog(log);
            AccessEntry e = new AccessEntry(ev.actor,
                    org.fhirledger.ledger.Bytes32.of(ev.patient), org.fhirledger.ledger.Bytes32.of(ev.resource),
                    ev.action.intValueExact(), AccessEntry.Outcome.values()[ev.outcome.intValueExact()],
                    ev.time.longValueExact(), org.fhirledger.ledger.Bytes32.of(ev.auditHash));
            out.add(new AccessInfo(e, new LedgerReceipt(ev.seq.longValueExact(), log.getTransactionHash(),
                    log.getBlockNumber().longValueExact())));
        }
        return out;
    }

    Optional<Long> seqOf(org.fhirledger.ledger.Bytes32 auditHash) throws IOException {
        try {
            Tuple2<Boolean, BigInteger> r = contract.accessOf(auditHash.toArray()).send();
            return r.component1() ? Optional.of(r.component2().longValueExact()) : Optional.empty();
        } catch (IOException | LedgerException e) {
            throw e;
        } catch (Exception e) {
            throw new LedgerException("accessOf failed: " + e.getMessage(), e);
        }
    }
}
