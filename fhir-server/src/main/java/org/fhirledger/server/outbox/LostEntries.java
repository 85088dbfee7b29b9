package org.fhirledger.server.outbox;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.fhirledger.ledger.AccessLedger;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.server.ledger.ChainDurability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records again what the chain lost. The outbox keeps every row, so an entry confirmed in a block the node no longer
 * has is put back to PENDING (the chain is asked first, by the contract's own view: an entry still there stays
 * confirmed); the writer then sends it as any other, and the contract's duplicate rejection keeps it single. Used
 * when the embedded chain came back from its snapshot, and by the operator's recovery from a rewritten chain.
 *
 * <p>A receipt read from the node just before it lost its blocks can reach the outbox after the loss was handled (the
 * writer confirms in its own round): such a row would stay CONFIRMED for an entry the chain no longer holds. Each
 * loss therefore advances {@link #losses()} before it looks at the rows; the writer compares it with the count it saw
 * before asking the chain and, when a loss came in between, has its rows {@link #recheck checked again} after it
 * confirmed them. Either the loss's own look or the writer's recheck sees every such row.
 */
public class LostEntries implements ChainDurability.LostBlocksListener {
    private static final Logger log = LoggerFactory.getLogger(LostEntries.class);

    private final OutboxStore store;
    private final RecordLedger records;
    private final AccessLedger accesses;
    private final Runnable wakeWriter;
    private final AtomicLong losses = new AtomicLong();

    public LostEntries(OutboxStore store, RecordLedger records, AccessLedger accesses, Runnable wakeWriter) {
        this.store = store;
        this.records = records;
        this.accesses = accesses;
        this.wakeWriter = wakeWriter;
    }

    @Override
    public void blocksLostAbove(long durableBlock) {
        losses.incrementAndGet();
        int n = reopenIfNotOnChain(store.confirmedAbove(durableBlock));
        if (n > 0)
            log.warn(
                    "outbox: {} entries confirmed above block {} are no longer on chain; recorded again",
                    n,
                    durableBlock);
    }

    /** Every confirmed or conflicting row whose entry the chain does not hold; returns how many were reopened. */
    public int reopenAllNotOnChain() {
        losses.incrementAndGet();
        int n = 0;
        long after = 0;
        for (List<OutboxRow> page;
                !(page = store.settledAfter(after, 1000)).isEmpty();
                after = page.get(page.size() - 1).id()) {
            n += reopenIfNotOnChain(page);
        }
        return n;
    }

    /** How many losses were handled so far: read before asking the chain, compared after confirming. */
    public long losses() {
        return losses.get();
    }

    /** Rows confirmed from an answer the chain gave before a loss: reopened if the chain no longer holds them. */
    public int recheck(List<OutboxRow> confirmedRows) {
        int n = reopenIfNotOnChain(confirmedRows);
        if (n > 0) log.warn("outbox: {} entries confirmed from a node that lost them since; recorded again", n);
        return n;
    }

    private int reopenIfNotOnChain(List<OutboxRow> rows) {
        int n = 0;
        for (OutboxRow row : rows) {
            boolean onChain = row.kind() == OutboxRow.Kind.ACCESS
                    ? accesses.accessSeqOf(row.contentHash()).isPresent()
                    : records.contentHashOf(row.resource(), row.version()).isPresent();
            if (!onChain && store.reopen(row.id())) n++;
        }
        if (n > 0) wakeWriter.run();
        return n;
    }
}
