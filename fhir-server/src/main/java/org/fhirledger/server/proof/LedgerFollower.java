package org.fhirledger.server.proof;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.LedgerEventSource;
import org.fhirledger.bytes.Bytes32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Appends the private chain's ledger entries to the Merkle log, in chain order, durably: each step reads whole
 * blocks up to {@code latest − confirmations}, and writes their leaves, the leaf index rows and its new position
 * (block number and hash) in one database transaction. A restart continues from the stored position; a crash
 * mid-step leaves nothing of that step.
 *
 * <p>Reorg-aware: before each step it checks that the last block it read still has the hash it recorded. If not,
 * the private chain's history below the confirmation depth changed (a reorganisation deeper than the setting, or a
 * rewritten chain): the log already holds entries that may be gone, so the follower stops and raises an alarm
 * instead of mixing two histories. It also refuses a gap or repeat in either lane's sequence numbers.
 */
public final class LedgerFollower {
    private static final Logger log = LoggerFactory.getLogger(LedgerFollower.class);

    /** Raised when the chain no longer matches what the log was built from. */
    public static final class ChainRewrittenException extends RuntimeException {
        ChainRewrittenException(String message) {
            super(message);
        }
    }

    /** Where the follower is: next block to read, last block read and its hash. */
    public record Position(long nextBlock, Long lastBlock, String lastBlockHash) {}

    private final LedgerEventSource reader;
    private final ProofLog proofLog;
    private final LeafIndex index;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final long fromBlock;
    private final int confirmations;
    private final long maxBlocksPerStep;
    private final LongSupplier durableBlock;
    private final boolean acceptRewrite;
    private volatile String alarm;

    public LedgerFollower(
            LedgerEventSource reader,
            ProofLog proofLog,
            LeafIndex index,
            JdbcTemplate jdbc,
            TransactionTemplate tx,
            long fromBlock,
            int confirmations,
            long maxBlocksPerStep) {
        this(
                reader,
                proofLog,
                index,
                jdbc,
                tx,
                fromBlock,
                confirmations,
                maxBlocksPerStep,
                () -> Long.MAX_VALUE,
                false);
    }

    /**
     * @param durableBlock the highest block a crash of the node cannot take back (the embedded chain's last
     *                     snapshot); the follower reads no further, so the log never holds an entry the chain may lose
     * @param acceptRewrite the operator's recovery: a rewritten chain is taken as it is, with a recorded break
     *                     ({@link #rebase}), instead of stopping
     */
    public LedgerFollower(
            LedgerEventSource reader,
            ProofLog proofLog,
            LeafIndex index,
            JdbcTemplate jdbc,
            TransactionTemplate tx,
            long fromBlock,
            int confirmations,
            long maxBlocksPerStep,
            LongSupplier durableBlock,
            boolean acceptRewrite) {
        this.durableBlock = durableBlock;
        this.acceptRewrite = acceptRewrite;
        this.reader = reader;
        this.proofLog = proofLog;
        this.index = index;
        this.jdbc = jdbc;
        this.tx = tx;
        this.fromBlock = fromBlock;
        this.confirmations = confirmations;
        this.maxBlocksPerStep = maxBlocksPerStep;
    }

    public Position position() {
        List<Position> p = jdbc.query(
                "select next_block, last_block, last_block_hash from fl_follower where id = 1",
                (rs, n) -> new Position(rs.getLong(1), (Long) rs.getObject(2, Long.class), rs.getString(3)));
        return p.isEmpty() ? new Position(fromBlock, null, null) : p.get(0);
    }

    /** Why following stopped (the chain was rewritten), or empty. */
    public Optional<String> alarm() {
        return Optional.ofNullable(alarm);
    }

    /**
     * Reads and appends the next confirmed blocks' entries; returns how many were appended (0 when up to date).
     *
     * @throws IOException when the private chain cannot be read (retry later)
     * @throws ChainRewrittenException when the chain no longer has the block the log was built up to
     */
    public synchronized int step() throws IOException {
        if (alarm != null) throw new ChainRewrittenException(alarm);
        Position at = position();
        if (at.lastBlock() != null) {
            Optional<String> hash = reader.blockHash(at.lastBlock());
            if (hash.isEmpty() || !hash.get().equalsIgnoreCase(at.lastBlockHash())) {
                String why = "the private chain no longer has block " + at.lastBlock() + " " + at.lastBlockHash()
                        + " (now " + hash.orElse("missing") + "): its history was rewritten or reorganised deeper than "
                        + confirmations + " confirmations after the log read it";
                if (!acceptRewrite) {
                    alarm = why + "; following stopped";
                    log.error("Ledger follower: {}", alarm);
                    throw new ChainRewrittenException(alarm);
                }
                rebase(at, why);
                at = position();
            }
        }
        long target = Math.min(reader.latestBlock() - confirmations, durableBlock.getAsLong());
        if (target < at.nextBlock()) return 0;
        target = Math.min(target, at.nextBlock() + maxBlocksPerStep - 1);
        List<LedgerEvent> events = reader.events(at.nextBlock(), target);
        String targetHash =
                reader.blockHash(target).orElseThrow(() -> new IOException("the node has no block it just reported"));
        checkSequence(events);
        long first = proofLog.log().size();
        List<LeafIndex.Row> rows = new ArrayList<>(events.size());
        List<Bytes32> leaves = new ArrayList<>(events.size());
        for (LedgerEvent e : events) {
            rows.add(new LeafIndex.Row(first + rows.size(), e));
            leaves.add(e.leafHash());
        }
        long last = target;
        try {
            tx.executeWithoutResult(s -> {
                if (!rows.isEmpty()) {
                    index.insert(rows);
                    proofLog.log().appendLeafHashes(leaves);
                }
                int updated = jdbc.update(
                        "update fl_follower set next_block = ?, last_block = ?, last_block_hash = ? " + "where id = 1",
                        last + 1,
                        last,
                        targetHash);
                if (updated == 0) {
                    jdbc.update(
                            "insert into fl_follower (id, next_block, last_block, last_block_hash) values (1, ?, ?, ?)",
                            last + 1,
                            last,
                            targetHash);
                }
            });
        } catch (RuntimeException e) {
            proofLog.reopen(); // the log may have taken leaves the rolled-back transaction did not keep
            throw e;
        }
        if (!events.isEmpty()) {
            log.debug(
                    "Ledger follower: {} entries from blocks {}..{} (log size {})",
                    events.size(),
                    at.nextBlock(),
                    last,
                    first + events.size());
        }
        return events.size();
    }

    /**
     * The operator's recovery from a rewritten chain: the log is append-only (its anchors stay consistent with it),
     * so nothing is removed. The leaves whose block the chain still has are found (they are a prefix of the
     * current epoch: binary search), a break is recorded (new epoch, first leaf, the block following resumes at,
     * the sequence numbers the chain continues with) and following resumes after the last leaf still on chain. The
     * lost history's leaves stay in the log; entries recorded again come as new leaves of the new epoch, and
     * lookups take the newest. {@code $ledger-status} lists the breaks.
     */
    private void rebase(Position at, String why) throws IOException {
        int epoch = index.epoch();
        List<LeafIndex.Break> breaks = index.breaks();
        LeafIndex.Break current = breaks.isEmpty() ? null : breaks.get(breaks.size() - 1);
        long first = current == null ? 0 : current.firstLeaf();
        long lo = first - 1;
        long hi = proofLog.log().size();
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (stillOnChain(mid)) lo = mid;
            else hi = mid;
        }
        long resume;
        if (lo >= first) {
            resume = index.byLeaf(lo).orElseThrow().event().position().blockNumber() + 1;
        } else {
            resume = current == null ? fromBlock : current.resumeBlock();
        }
        long recordNext = nextSeqAt(LedgerEvent.Lane.RECORD, epoch, first, lo, current);
        long accessNext = nextSeqAt(LedgerEvent.Lane.ACCESS, epoch, first, lo, current);
        Optional<String> resumeParentHash = resume > 0 ? reader.blockHash(resume - 1) : Optional.empty();
        long size = proofLog.log().size();
        String reason = why + "; taken as it is (embedded-chain.accept-rewritten-chain): leaves " + (lo + 1) + ".."
                + (size - 1) + " are of the lost history, following resumes at block " + resume;
        LeafIndex.Break b = new LeafIndex.Break(
                epoch + 1,
                size,
                resume,
                at.lastBlock(),
                at.lastBlockHash(),
                recordNext,
                accessNext,
                System.currentTimeMillis() / 1000,
                reason.length() > 1000 ? reason.substring(0, 1000) : reason);
        tx.executeWithoutResult(s -> {
            index.insertBreak(b);
            jdbc.update(
                    "update fl_follower set next_block = ?, last_block = ?, last_block_hash = ? where id = 1",
                    resume,
                    resumeParentHash.isPresent() ? resume - 1 : null,
                    resumeParentHash.orElse(null));
        });
        log.error("Ledger follower: BREAK (epoch {}): {}", b.epoch(), reason);
    }

    private boolean stillOnChain(long leaf) throws IOException {
        LeafIndex.Row row = index.byLeaf(leaf).orElseThrow(() -> new IOException("no leaf index row " + leaf));
        Optional<String> hash = reader.blockHash(row.event().position().blockNumber());
        return hash.isPresent()
                && hash.get().equalsIgnoreCase(row.event().position().blockHash());
    }

    private long nextSeqAt(LedgerEvent.Lane lane, int epoch, long first, long lastKept, LeafIndex.Break current) {
        long base = current == null
                ? 0
                : lane == LedgerEvent.Lane.RECORD ? current.recordNextSeq() : current.accessNextSeq();
        if (lastKept < first) return base;
        return index.maxSeq(lane, epoch, lastKept).map(m -> m + 1).orElse(base);
    }

    private void checkSequence(List<LedgerEvent> events) {
        Map<LedgerEvent.Lane, Long> next = new EnumMap<>(LedgerEvent.Lane.class);
        for (LedgerEvent e : events) {
            long expected = next.computeIfAbsent(e.lane(), index::nextSeq);
            if (e.seq() != expected) {
                alarm = "the private chain's " + e.lane().code() + " ledger has entry seq " + e.seq() + " in block "
                        + e.position().blockNumber() + " where the log expects seq " + expected
                        + " (an entry is missing or repeated); following stopped";
                log.error("Ledger follower: {}", alarm);
                throw new ChainRewrittenException(alarm);
            }
            next.put(e.lane(), expected + 1);
        }
    }
}
