package org.fhirledger.server.proof;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fhirledger.anchor.Anchor;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.AnchorChainUnavailableException;
import org.fhirledger.anchor.Anchorer;
import org.fhirledger.anchor.HistoryRewrittenException;
import org.fhirledger.server.outbox.WriterLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background job (one thread, "ledger-anchor"), on one replica of the database at a time: it runs while it holds
 * the job lock ({@link WriterLock#forJob}, a PostgreSQL advisory lock on a session of its own, so a dead holder's lock
 * is free at once and a standby takes over at its next run); a standby only re-reads the log so its $verify and
 * $ledger-status see what the active replica appended. Every {@code anchor.follow-interval} it lets the follower read
 * the private chain into the log, and when {@code anchor.every-entries} entries are not anchored or
 * {@code anchor.every} has passed with any not anchored, it runs the {@link Anchorer}. Every public-chain call
 * happens here, never on a request thread: the public chain down (or not yet there at start-up, including the dev
 * registry deployment) only delays anchoring; it is retried at the next run and the FHIR API is unaffected.
 */
public final class AnchorService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AnchorService.class);

    /** What $ledger-status reports besides the stored anchors. */
    public record State(
            Optional<String> registry,
            Optional<String> followAlarm,
            Optional<String> historyAlarm,
            Optional<String> lastFollowError,
            Optional<String> lastAnchorError,
            boolean active) {}

    private final AnchorProperties props;
    private final AnchorChainConnection connection;
    private final LedgerFollower follower;
    private final ProofLog proofLog;
    private final AnchorRecords anchors;
    private final ScheduledExecutorService executor;
    private final WriterLock lock;
    private volatile boolean active;

    private AnchorChain chain;
    private volatile String registry;
    private volatile String historyAlarm;
    private volatile String lastFollowError;
    private volatile String lastAnchorError;
    private long lastAnchorAttemptNanos;
    private boolean attempted;

    AnchorService(
            AnchorProperties props,
            AnchorChainConnection connection,
            LedgerFollower follower,
            ProofLog proofLog,
            AnchorRecords anchors,
            WriterLock lock) {
        this.lock = lock;
        this.props = props;
        this.connection = connection;
        this.follower = follower;
        this.proofLog = proofLog;
        this.anchors = anchors;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ledger-anchor");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        long ms = props.followInterval().toMillis();
        executor.scheduleWithFixedDelay(this::runQuietly, 0, ms, TimeUnit.MILLISECONDS);
    }

    public State state() {
        return new State(
                Optional.ofNullable(registry),
                follower.alarm(),
                Optional.ofNullable(historyAlarm),
                Optional.ofNullable(lastFollowError),
                Optional.ofNullable(lastAnchorError),
                active);
    }

    public AnchorProperties properties() {
        return props;
    }

    private void runQuietly() {
        try {
            runOnce();
        } catch (Throwable t) {
            log.error("anchor job failed", t);
        }
    }

    /** One round: follow, then anchor if due. Package-visible so tests can drive it. */
    synchronized void runOnce() {
        if (!lock.held()) {
            boolean was = active;
            active = false;
            proofLog.reopen(); // what the active replica appended (and, on taking over, where to continue)
            if (!lock.tryAcquire()) {
                if (was) log.warn("anchor job: lost its lock; standby");
                return;
            }
            log.info("anchor job: active on this replica (follows the private chain and anchors)");
            active = true;
            attempted = false;
        }
        try {
            follower.step();
            lastFollowError = null;
        } catch (LedgerFollower.ChainRewrittenException e) {
            lastFollowError = e.getMessage();
        } catch (Exception e) {
            if (lastFollowError == null)
                log.warn("Ledger follower: private chain unreadable ({}), retrying", e.toString());
            lastFollowError = e.toString();
        }
        if (follower.alarm().isPresent()) return; // never anchor a log built from a chain that no longer exists
        long size = proofLog.log().size();
        long anchored = anchors.latest().map(AnchorRecords.Row::treeSize).orElse(0L);
        long pending = size - anchored;
        boolean timeUp = !attempted
                || System.nanoTime() - lastAnchorAttemptNanos >= props.every().toNanos();
        if (pending < props.everyEntries() && !(pending > 0 && timeUp) && historyAlarm == null && chain != null) return;
        attempted = true;
        lastAnchorAttemptNanos = System.nanoTime();
        try {
            AnchorChain c = chain();
            Anchorer.Outcome o = pending > 0 ? Anchorer.anchor(proofLog.log(), c) : Anchorer.check(proofLog.log(), c);
            historyAlarm = null;
            lastAnchorError = null;
            if (o instanceof Anchorer.Outcome.Published p) {
                anchors.save(p.receipt());
                log.info(
                        "Anchored tree size {} root {} as anchor #{} in public tx {} ({} gas)",
                        p.receipt().anchor().treeSize(),
                        p.receipt().anchor().root().toHex(),
                        p.receipt().anchor().index(),
                        p.receipt().txHash(),
                        p.receipt().gasUsed());
            } else if (o instanceof Anchorer.Outcome.UpToDate u && u.latest().isPresent()) {
                remember(c, u.latest().get());
            }
        } catch (HistoryRewrittenException e) {
            if (historyAlarm == null) log.error("Refusing to anchor: {}", e.getMessage());
            historyAlarm = e.getMessage();
        } catch (AnchorChainUnavailableException e) {
            if (lastAnchorError == null) log.warn("Public chain unavailable, anchoring retried: {}", e.getMessage());
            lastAnchorError = e.getMessage();
            closeChain();
        } catch (RuntimeException e) {
            if (lastAnchorError == null) log.warn("Anchoring failed, retried: {}", e.toString());
            lastAnchorError = e.toString();
            closeChain();
        }
    }

    /** An anchor on the chain that the local table lacks (e.g. a restored database): remember it. */
    private void remember(AnchorChain c, Anchor a) {
        if (anchors.byIndex(a.index()).isPresent()) return;
        var r = c.receiptOf(a.index());
        anchors.save(
                a,
                r.map(x -> x.txHash()).orElse(null),
                r.map(x -> x.blockNumber()).orElse(null),
                null);
    }

    private AnchorChain chain() {
        if (chain != null) return chain;
        AnchorChainConnection.Connected c = connection.open();
        registry = c.registry();
        chain = c.chain();
        return chain;
    }

    private void closeChain() {
        if (chain != null) chain.close();
        chain = null;
    }

    /** The registry address without a public-chain call when known. */
    public Optional<String> registryAddress() {
        return Optional.ofNullable(registry);
    }

    Instant now() {
        return Instant.now();
    }

    @Override
    public void close() {
        executor.shutdownNow();
        boolean stopped = false;
        try {
            stopped = executor.awaitTermination(5, TimeUnit.SECONDS); // its reads are bounded by ledger.rpc-timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!stopped) {
            // a round still running holds the monitor: the lock's session ends with the process anyway
            log.warn("anchor job did not stop within 5 s; leaving it");
            return;
        }
        synchronized (this) {
            closeChain();
            lock.close(); // a standby replica takes over at its next run
            active = false;
        }
    }
}
