package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.fhirledger.contracts.generated.AccessLedger;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.AccessInfo;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.utils.Numeric;

/** AccessLedger.appendAccesses batches; an entry's key is its audit hash. */
final class AccessLane extends EventLane<AccessEntry, org.fhirledger.bytes.Bytes32> {

    private final AccessLedger contract;

    AccessLane(Web3j web3j, AccessLedger contract, long fromBlock) {
        super(
                web3j,
                "access-ledger",
                contract.getContractAddress(),
                fromBlock,
                AccessLedger.ACCESSAPPENDED_EVENT,
                "DuplicateAudit");
        this.contract = contract;
    }

    @Override
    org.fhirledger.bytes.Bytes32 key(AccessEntry entry) {
        return entry.auditHash();
    }

    @Override
    Appended<org.fhirledger.bytes.Bytes32> appended(Log log) {
        AccessLedger.AccessAppendedEventResponse ev = AccessLedger.getAccessAppendedEventFromLog(log);
        return new Appended<>(org.fhirledger.bytes.Bytes32.of(ev.auditHash), ev.seq.longValueExact());
    }

    @Override
    public String encode(List<AccessEntry> entries) {
        Function f = new Function(
                AccessLedger.FUNC_APPENDACCESSES,
                List.of(
                        new DynamicArray<>(
                                Address.class,
                                entries.stream()
                                        .map(e -> new Address(e.actor()))
                                        .toList()),
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.patient().toArray()))
                                        .toList()),
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.resource().toArray()))
                                        .toList()),
                        new DynamicArray<>(
                                Uint8.class,
                                entries.stream().map(e -> new Uint8(e.action())).toList()),
                        new DynamicArray<>(
                                Uint8.class,
                                entries.stream()
                                        .map(e -> new Uint8(e.outcome().ordinal()))
                                        .toList()),
                        new DynamicArray<>(
                                Uint64.class,
                                entries.stream().map(e -> new Uint64(e.time())).toList()),
                        new DynamicArray<>(
                                Bytes32.class,
                                entries.stream()
                                        .map(e -> new Bytes32(e.auditHash().toArray()))
                                        .toList())),
                List.of());
        return FunctionEncoder.encode(f);
    }

    @Override
    public Optional<LedgerReceipt> existing(AccessEntry entry) throws IOException {
        Optional<Long> seq = seqOf(entry.auditHash());
        if (seq.isEmpty()) return Optional.empty();
        // the event is found by its indexed fields; the audit hash identifies the AuditEvent, so same hash = same entry
        Optional<Log> log = newest(
                l -> AccessLedger.getAccessAppendedEventFromLog(l).seq.longValueExact() == seq.get(),
                entry.patient().toHex(),
                entry.resource().toHex(),
                Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(entry.actor()), 64));
        if (log.isPresent()) return Optional.of(receiptOf(log.get(), seq.get()));
        throw new ConflictingEntryException("audit hash " + entry.auditHash() + " is already recorded (seq " + seq.get()
                + ") with another actor, patient or resource");
    }

    /** Every access entry about the patient's compartment, in ledger order (topic 1 of AccessAppended). */
    List<AccessInfo> ofPatient(org.fhirledger.bytes.Bytes32 patient) throws IOException {
        List<AccessInfo> out = new java.util.ArrayList<>();
        for (Log log : events(patient.toHex())) {
            AccessLedger.AccessAppendedEventResponse ev = AccessLedger.getAccessAppendedEventFromLog(log);
            AccessEntry e = new AccessEntry(
                    ev.actor,
                    org.fhirledger.bytes.Bytes32.of(ev.patient),
                    org.fhirledger.bytes.Bytes32.of(ev.resource),
                    ev.action.intValueExact(),
                    AccessEntry.Outcome.values()[ev.outcome.intValueExact()],
                    ev.time.longValueExact(),
                    org.fhirledger.bytes.Bytes32.of(ev.auditHash));
            out.add(new AccessInfo(e, receiptOf(log, ev.seq.longValueExact())));
        }
        return out;
    }

    Optional<Long> seqOf(org.fhirledger.bytes.Bytes32 auditHash) throws IOException {
        try {
            Tuple2<Boolean, BigInteger> r =
                    contract.accessOf(auditHash.toArray()).send();
            return r.component1() ? Optional.of(r.component2().longValueExact()) : Optional.empty();
        } catch (IOException | LedgerException e) {
            throw e;
        } catch (Exception e) {
            throw new LedgerException("accessOf failed: " + e.getMessage(), e);
        }
    }
}
