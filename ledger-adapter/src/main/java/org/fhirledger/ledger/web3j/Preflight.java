package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.LedgerReceipt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;

/**
 * The pre-flight check of a transaction before it is signed: simulated with eth_call. In a batch, an entry already
 * on chain is answered from the chain and dropped, an entry the contract refuses fails alone, so one entry never
 * sinks the others; a refusal not about one entry (e.g. NotCustodian) fails the whole batch. A direct call (role,
 * consent) is either clear or refused with the contract's error.
 */
final class Preflight {
    private static final Logger log = LoggerFactory.getLogger(Preflight.class);
    private static final String NOT_CUSTODIAN = "NotCustodian";

    /**
     * What is left to send ({@code live}, encoded as {@code data}), and duplicates the chain showed but the lookup
     * did not find yet ({@code later}: queued again, for the next batch).
     */
    record Outcome(List<Pending<Object>> live, List<Pending<Object>> later, String data) {}

    private final Web3j web3j;
    private final String from;

    Preflight(Web3j web3j, String from) {
        this.web3j = web3j;
        this.from = from;
    }

    /** Simulates until the batch passes or is empty. Nothing is signed here, so a thrown error loses nothing. */
    Outcome batch(Lane<Object> lane, List<Pending<Object>> batch) throws IOException {
        List<Pending<Object>> live = new ArrayList<>(batch);
        List<Pending<Object>> later = new ArrayList<>();
        String data = null;
        while (true) {
            live.removeIf(p -> p.future.isDone());
            if (live.isEmpty()) break;
            data = lane.encode(live.stream().map(p -> p.entry).toList());
            EthCall sim = web3j.ethCall(
                            Transaction.createEthCallTransaction(from, lane.contractAddress(), data),
                            DefaultBlockParameterName.LATEST)
                    .send();
            if (!sim.hasError() && !sim.isReverted()) break;
            ContractErrors.Revert revert = revertOf(sim);
            int index = revert.words().isEmpty() || !revert.signature().startsWith(revert.name() + "(uint256")
                    ? -1
                    : revert.firstArgAsIndex();
            if (index < 0 || index >= live.size()) {
                // not about one entry (e.g. NotCustodian): the whole batch is refused
                ContractRevertException ex = new ContractRevertException(revert.name(), lane.name() + " batch refused");
                live.forEach(p -> p.future.completeExceptionally(ex));
                if (NOT_CUSTODIAN.equals(revert.name())) {
                    // an account not (yet) enrolled: a state its caller reports once and retries, not a fault
                    log.debug("{} batch of {} refused by contract: {}", lane.name(), live.size(), revert.name());
                } else {
                    log.error("{} batch of {} refused by contract: {}", lane.name(), live.size(), revert.name());
                }
                live.clear();
                break;
            }
            Pending<Object> p = live.get(index);
            if (revert.name().equals(lane.duplicateError())) {
                resolveExisting(lane, p, later);
            } else {
                p.future.completeExceptionally(new ContractRevertException(revert.name(), "entry " + p.entry));
            }
            live.remove(index);
        }
        return new Outcome(live, later, data);
    }

    /** The contract's refusal of a single call, empty when the simulation passes. */
    Optional<ContractErrors.Revert> refusalOf(String to, String data) throws IOException {
        EthCall sim = web3j.ethCall(
                        Transaction.createEthCallTransaction(from, to, data), DefaultBlockParameterName.LATEST)
                .send();
        return sim.hasError() || sim.isReverted() ? Optional.of(revertOf(sim)) : Optional.empty();
    }

    /**
     * The named revert of a failed simulation. A JSON-RPC error that is not a revert (node overloaded, "header not
     * found", rate limit, ...) says nothing about the entries: it is thrown as an IOException so they are retried.
     */
    private static ContractErrors.Revert revertOf(EthCall sim) throws IOException {
        if (!sim.hasError()) return ContractErrors.decode(null); // revert reason in the result (old nodes)
        ContractErrors.Revert revert = ContractErrors.decode(sim.getError().getData());
        if (!ContractErrors.isRevert(sim.getError(), revert)) {
            throw new IOException("eth_call failed without a revert: "
                    + sim.getError().getCode() + " " + sim.getError().getMessage());
        }
        return revert;
    }

    /** A duplicate found by the simulation: answered from the chain, or put on {@code later} when not found yet. */
    private static void resolveExisting(Lane<Object> lane, Pending<Object> p, List<Pending<Object>> later)
            throws IOException {
        try {
            Optional<LedgerReceipt> existing = lane.existing(p.entry);
            if (existing.isPresent()) {
                p.future.complete(existing.get());
            } else {
                // the simulation saw it, the lookup did not: chain moved; try again with the next batch
                later.add(p);
            }
        } catch (ConflictingEntryException e) {
            p.future.completeExceptionally(e);
        }
    }
}
