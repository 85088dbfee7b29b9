package org.fhirledger.server.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentStore;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.retry.Backoff;
import org.fhirledger.server.lifecycle.DaemonLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The background ledger writer's loop: drains the outbox while this replica holds the {@link WriterLock} of its
 * signing account. Per round: rows that may already be on chain (handed to the ledger before: {@code attempts > 0})
 * are looked up first and confirmed from the chain if there; the others' envelopes go into the content store
 * ({@link ContentUploads}); the rows are marked SUBMITTED in a committed statement; then handed to the ledger adapter,
 * which batches them into transactions. Confirmations update the rows (tx hash, block, sequence, CID; the envelope
 * is kept for the content scrub). What it is doing is in its {@link WriterHealth}.
 *
 * <p>An unreachable chain or content store never blocks FHIR writes: rows wait in the table, the writer backs off
 * exponentially ({@code outbox.retry-initial} .. {@code retry-max}) and catches up. Logs name outbox ids and
 * pseudonyms only.
 */
public class LedgerWriter implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LedgerWriter.class);
    private static final long STOP_TIMEOUT_MILLIS = 5_000;
    /** The contracts' refusal of an account that holds no CUSTODIAN role. */
    private static final String NOT_CUSTODIAN = "NotCustodian";

    /** Told about every confirmed row (e.g. the read-side integrity cache). */
    public interface ConfirmationListener {
        void confirmed(OutboxRow row, LedgerReceipt receipt);
    }

    /** {@code lossesBefore}: {@link LostEntries#losses()} when the row was handed over, before the chain answered. */
    private record Completion(OutboxRow row, LedgerReceipt receipt, Throwable error, long lossesBefore) {}

    private final OutboxStore store;
    private final Ledger ledger;
    private final ContentUploads uploads;
    private final WriterLock lock;
    private final OutboxProperties settings;
    private final ConfirmationListener listener;
    private final LostEntries lost;
    private final List<OutboxRow> toRecheck = new ArrayList<>(); // writer thread only
    private final WriterHealth health = new WriterHealth();
    private final ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final Object signal = new Object();
    private final Backoff backoff;
    private volatile boolean wakeRequested;
    private final DaemonLoop worker = new DaemonLoop("ledger-writer", this::loop, STOP_TIMEOUT_MILLIS);
    private volatile long backoffUntil;
    // writer thread only: the chain refuses this account's entries as it holds no CUSTODIAN (said once, see
    // chainFailed)
    private boolean notCustodian;

    public LedgerWriter(
            OutboxStore store,
            Ledger ledger,
            ContentStore content,
            WriterLock lock,
            OutboxProperties settings,
            LostEntries lost,
            ConfirmationListener listener) {
        this.store = store;
        this.ledger = ledger;
        this.uploads = new ContentUploads(content, settings.contentThreads());
        this.lock = lock;
        this.settings = settings;
        this.backoff = new Backoff(settings.retryInitial(), settings.retryMax());
        this.listener = listener;
        this.lost = lost;
    }

    /** Called after a transaction with outbox rows committed. */
    public void wake() {
        wakeRequested = true;
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    @Override
    public synchronized void start() {
        if (worker.running()) return;
        health.state(WriterState.STARTING);
        worker.start();
    }

    @Override
    public void stop() {
        // bounded: a round stuck on the chain or the content store is left behind (a daemon thread); the rows it
        // holds stay in the outbox and are looked up on chain after the restart
        if (!worker.stop(this::wake)) return;
        uploads.close();
        lock.close();
        health.state(WriterState.STOPPED);
    }

    @Override
    public boolean isRunning() {
        return worker.running();
    }

    public WriterHealth health() {
        return health;
    }

    private void loop() {
        while (worker.running()) {
            try {
                if (!lock.held()) {
                    if (!lock.tryAcquire()) {
                        if (health.state() != WriterState.STANDBY) {
                            log.info("ledger writer: standby (another replica writes for this account)");
                        }
                        health.state(WriterState.STANDBY);
                        drainCompletions();
                        recheckAfterLoss();
                        pause(settings.lockRetry().toMillis());
                        continue;
                    }
                    log.info("ledger writer: active");
                    health.state(WriterState.ACTIVE);
                }
                drainCompletions();
                if (!recheckAfterLoss()) continue;
                long now = System.currentTimeMillis();
                if (now < backoffUntil) {
                    pause(backoffUntil - now);
                    continue;
                }
                int room = settings.maxInFlight() - health.inFlight();
                if (room <= 0) {
                    pause(settings.pollInterval().toMillis());
                    continue;
                }
                List<OutboxRow> rows = store.nextBatch(Math.min(settings.batchSize(), room), 0, health.inFlightIds());
                if (rows.isEmpty()) {
                    pause(settings.pollInterval().toMillis());
                    continue;
                }
                process(rows);
            } catch (RuntimeException e) {
                // e.g. the database briefly unreachable: back off, the rows stay in the table
                log.warn("ledger writer round failed: {}", e.toString());
                backOff();
            }
        }
    }

    private void process(List<OutboxRow> rows) {
        List<OutboxRow> toSend = new ArrayList<>(rows.size());
        List<OutboxStore.Confirmation> fromChain = new ArrayList<>();
        List<OutboxRow> fromChainRows = new ArrayList<>();
        long lossesBefore = lost.losses();
        try {
            for (OutboxRow row : rows) {
                int before = fromChain.size();
                if (row.attempts() > 0 && row.kind() == OutboxRow.Kind.RECORD && alreadyOnChain(row, fromChain)) {
                    if (fromChain.size() > before) fromChainRows.add(row);
                    continue;
                }
                toSend.add(row);
            }
        } catch (RuntimeException e) {
            chainFailed(e);
            return;
        } finally {
            if (!fromChain.isEmpty()) {
                store.confirm(fromChain);
                health.confirmed(fromChain.size());
                if (lost.losses() != lossesBefore) toRecheck.addAll(fromChainRows);
            }
        }
        List<OutboxRow> stored = putContent(toSend);
        if (stored.isEmpty()) return;
        store.markSubmitted(stored);
        long now = System.currentTimeMillis();
        for (OutboxRow row : stored) {
            health.handedOver(row.id(), now);
            long handedOverAt = lost.losses();
            CompletableFuture<LedgerReceipt> f;
            try {
                f = row.kind() == OutboxRow.Kind.ACCESS
                        ? ledger.appendAccess(row.access())
                        : ledger.appendRecord(new RecordEntry(
                                row.resource(),
                                row.version(),
                                row.contentHash(),
                                row.cid().toBytes(),
                                row.ledgerPatient()));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((receipt, error) -> {
                completions.add(new Completion(row, receipt, error, handedOverAt));
                wake();
            });
        }
    }

    /** A row handed to the ledger before (this process or a dead one): never sent twice blindly. */
    private boolean alreadyOnChain(OutboxRow row, List<OutboxStore.Confirmation> confirmed) {
        Optional<Bytes32> onChain = ledger.contentHashOf(row.resource(), row.version());
        if (onChain.isEmpty()) return false;
        if (!onChain.get().equals(row.contentHash())) {
            log.error("ledger writer: {} is on chain with another content hash; not retried", row.logName());
            store.markConflict(row.id(), "the chain holds another content hash for this version");
            return true;
        }
        Optional<RecordInfo> info = ledger.findRecord(row.resource(), row.version());
        if (info.isEmpty()) return false; // the view saw it, the logs not yet: the adapter resolves the duplicate
        LedgerReceipt receipt = info.get().receipt();
        confirmed.add(new OutboxStore.Confirmation(
                row.id(), receipt, Cid.fromBytes(info.get().entry().cid())));
        listener.confirmed(row, receipt);
        return true;
    }

    /** The RECORD envelopes into the content store; rows whose put failed stay for the next round. */
    private List<OutboxRow> putContent(List<OutboxRow> rows) {
        ContentUploads.Result result = uploads.upload(rows);
        List<OutboxRow> stored = result.stored();
        RuntimeException failure = result.failure();
        if (failure != null) {
            health.contentProblem(WriterHealth.Problem.of(failure));
            log.warn(
                    "ledger writer: content store failed ({}); {} row(s) wait",
                    failure.getClass().getSimpleName(),
                    rows.size() - stored.size());
            backOff();
        } else if (!stored.isEmpty() && stored.stream().anyMatch(r -> r.kind() == OutboxRow.Kind.RECORD)) {
            health.contentProblem(null);
        }
        return stored;
    }

    private void drainCompletions() {
        List<Completion> done = new ArrayList<>();
        for (Completion c; (c = completions.poll()) != null; ) done.add(c);
        if (done.isEmpty()) return;
        List<OutboxStore.Confirmation> ok = new ArrayList<>();
        Throwable lastError = null;
        for (Completion c : done) {
            if (c.error() == null) {
                ok.add(new OutboxStore.Confirmation(c.row().id(), c.receipt(), null));
                continue;
            }
            Throwable e = c.error() instanceof CompletionException && c.error().getCause() != null
                    ? c.error().getCause()
                    : c.error();
            if (e instanceof ConflictingEntryException) {
                log.error(
                        "ledger writer: {} conflicts with the chain; not retried",
                        c.row().logName());
                store.markConflict(c.row().id(), e.getMessage());
            } else {
                lastError = e;
                store.recordError(c.row().id(), e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        try {
            if (!ok.isEmpty()) {
                store.confirm(ok);
                health.confirmed(ok.size());
                long losses = lost.losses(); // read after the confirmation is committed: see LostEntries
                for (Completion c : done) {
                    if (c.error() == null && c.lossesBefore() != losses) toRecheck.add(c.row());
                }
                health.chainProblem(null);
                backoff.reset();
                if (notCustodian) {
                    notCustodian = false;
                    log.info("ledger writer: this server's account is CUSTODIAN now; the waiting entries go out");
                }
                for (Completion c : done) if (c.error() == null) listener.confirmed(c.row(), c.receipt());
            }
        } finally {
            for (Completion c : done) health.settled(c.row().id());
        }
        if (lastError != null) chainFailed(lastError);
    }

    /**
     * Rows confirmed from a chain answer given before a loss was handled are asked about again; until the chain
     * answers, nothing else is sent (false: try again after the backoff).
     */
    private boolean recheckAfterLoss() {
        if (toRecheck.isEmpty()) return true;
        try {
            lost.recheck(List.copyOf(toRecheck));
            toRecheck.clear();
            return true;
        } catch (RuntimeException e) {
            chainFailed(e);
            pause(backoffRemaining().toMillis());
            return false;
        }
    }

    private void chainFailed(Throwable e) {
        health.chainProblem(WriterHealth.Problem.of(e));
        if (e instanceof ContractRevertException r && NOT_CUSTODIAN.equals(r.errorName())) {
            // a state, not a fault: a server that joins a consortium waits for its admission (the self-enrolment
            // says what to ask for); one line, then quiet retries until the account holds CUSTODIAN
            if (!notCustodian) {
                notCustodian = true;
                log.warn(
                        "ledger writer: the chain refuses this server's entries, as its account holds no CUSTODIAN"
                                + " role yet (not admitted to the consortium, or not enrolled); they wait in the outbox and"
                                + " go out once it does (retrying every {} at most)",
                        settings.retryMax());
            } else {
                log.debug("ledger writer: still not CUSTODIAN; retrying with backoff");
            }
        } else {
            log.warn(
                    "ledger writer: chain failed ({}); retrying with backoff",
                    e.getClass().getSimpleName());
        }
        backOff();
    }

    private void backOff() {
        long wait = backoff.nextDelayMillis();
        backoffUntil = System.currentTimeMillis() + wait;
    }

    private void pause(long millis) {
        synchronized (signal) {
            if (wakeRequested || !completions.isEmpty()) {
                wakeRequested = false;
                return;
            }
            try {
                signal.wait(Math.max(1, millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                worker.halt();
            }
            wakeRequested = false;
        }
    }

    Duration backoffRemaining() {
        return Duration.ofMillis(Math.max(0, backoffUntil - System.currentTimeMillis()));
    }
}
