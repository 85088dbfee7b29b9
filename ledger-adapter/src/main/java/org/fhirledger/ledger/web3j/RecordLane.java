package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * RecordLedger.appendRecords batches; an entry's key is (resource, version) within this adapter's custodian
 * account: the contract keys entries by (custodian, resource, version), and the queries here see only the
 * entries this custodian wrote, so another custodian's entries for the same resource neither conflict nor show.
 */
final class RecordLane extends EventLane<RecordEntry, RecordLane.Key> {

    record Key(org.fhirledger.bytes.Bytes32 resource, long version) {}

    private final RecordLedger contract; // read-only use: views
    private final String custodian; // this adapter's account: the writer of its entries

    RecordLane(Web3j web3j, RecordLedger contract, long fromBlock, String custodian) {
        super(
                web3j,
                "record-ledger",
                contract.getContractAddress(),
                fromBlock,
                RecordLedger.RECORDAPPENDED_EVENT,
                "DuplicateRecord");
        this.contract = contract;
        this.custodian = custodian;
    }

    @Override
    Key key(RecordEntry entry) {
        return new Key(entry.resource(), entry.version());
    }

    @Override
    Appended<Key> appended(Log log) {
        RecordLedger.RecordAppendedEventResponse ev = RecordLedger.getRecordAppendedEventFromLog(log);
        return new Appended<>(
                new Key(org.fhirledger.bytes.Bytes32.of(ev.resource), ev.version.longValueExact()),
                ev.seq.longValueExact());
    }

    @Override
    public String encode(List<RecordEntry> entries) {
        Function f = new Function(
                RecordLedger.FUNC_APPENDRECORDS,
                List.of(
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.resource().toArray()))
                                        .toList()),
                        new DynamicArray<>(
                                Uint64.class,
                                entries.stream()
                                        .map(e -> new Uint64(e.version()))
                                        .toList()),
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.contentHash().toArray()))
                                        .toList()),
                        new DynamicArray<>(
                                DynamicBytes.class,
                                entries.stream()
                                        .map(e -> new DynamicBytes(e.cid()))
                                        .toList()),
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.patient().toArray()))
                                        .toList())),
                List.of());
        return FunctionEncoder.encode(f);
    }

    @Override
    public Optional<LedgerReceipt> existing(RecordEntry entry) throws IOException {
        Optional<RecordInfo> info = find(entry.resource(), entry.version());
        if (info.isEmpty()) return Optional.empty();
        RecordEntry onChain = info.get().entry();
        if (!onChain.contentHash().equals(entry.contentHash())
                || !Arrays.equals(onChain.cid(), entry.cid())
                || !onChain.patient().equals(entry.patient())) {
            throw new ConflictingEntryException("resource " + entry.resource() + " version " + entry.version()
                    + " is already recorded with other content (seq "
                    + info.get().receipt().seq() + ")");
        }
        return Optional.of(info.get().receipt());
    }

    /** This custodian's entry from its event, found by its (resource, version) topics. */
    Optional<RecordInfo> find(org.fhirledger.bytes.Bytes32 resource, long version) throws IOException {
        // (custodian, resource, version) is recorded at most once: the newest-first search stops at the hit;
        // another custodian's entry for the same (resource, version) is not ours and is passed over
        Optional<Log> log = newest(
                this::ours, resource.toHex(), Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(version), 64));
        return log.map(RecordLane::info);
    }

    /** Every version of the resource this custodian recorded, in ledger order (topic 1 of RecordAppended). */
    List<RecordInfo> history(org.fhirledger.bytes.Bytes32 resource) throws IOException {
        return query(resource.toHex(), null);
    }

    /** The custodians of every entry recorded under this patient pseudonym (topic 3 of RecordAppended), lower-case. */
    Set<String> custodiansOf(org.fhirledger.bytes.Bytes32 patient) throws IOException {
        Set<String> out = new TreeSet<>();
        for (Log log : events(null, null, patient.toHex())) {
            out.add(RecordLedger.getRecordAppendedEventFromLog(log).custodian.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** The entries this custodian account recorded under this patient pseudonym (topic 3), in ledger order. */
    List<RecordInfo> recordsOf(String custodian, org.fhirledger.bytes.Bytes32 patient) throws IOException {
        List<RecordInfo> out = new java.util.ArrayList<>();
        for (Log log : events(null, null, patient.toHex())) {
            if (custodian.equalsIgnoreCase(RecordLedger.getRecordAppendedEventFromLog(log).custodian)) {
                out.add(info(log));
            }
        }
        return out;
    }

    private List<RecordInfo> query(String resourceTopic, String versionTopic) throws IOException {
        List<RecordInfo> out = new java.util.ArrayList<>();
        for (Log log : versionTopic == null ? events(resourceTopic) : events(resourceTopic, versionTopic)) {
            if (ours(log)) out.add(info(log));
        }
        return out;
    }

    /** Whether this adapter's custodian account wrote the entry of this event. */
    private boolean ours(Log log) {
        return custodian.equalsIgnoreCase(RecordLedger.getRecordAppendedEventFromLog(log).custodian);
    }

    private static RecordInfo info(Log log) {
        RecordLedger.RecordAppendedEventResponse ev = RecordLedger.getRecordAppendedEventFromLog(log);
        RecordEntry e = new RecordEntry(
                org.fhirledger.bytes.Bytes32.of(ev.resource),
                ev.version.longValueExact(),
                org.fhirledger.bytes.Bytes32.of(ev.contentHash),
                ev.cid,
                org.fhirledger.bytes.Bytes32.of(ev.patient));
        return new RecordInfo(e, receiptOf(log, ev.seq.longValueExact()));
    }

    RecordLedger contract() {
        return contract;
    }

    /** Content hash this custodian recorded for (resource, version); zero when there is none. */
    byte[] contentHashOf(org.fhirledger.bytes.Bytes32 resource, long version) throws Exception {
        return contract.contentHashOf(custodian, resource.toArray(), BigInteger.valueOf(version))
                .send();
    }
}
