package org.fhirledger.server.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentStore;
import org.fhirledger.ledger.Bytes32;
import org.fhirledger.ledger.ConflictingEntryException;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.retry.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The background ledger writer: drains the outbox while this replica holds the {@link WriterLock} of its signing
 * account. Per round: rows that may already be on chain (handed to the ledger before: {@code attempts > 0}) are
 * looked up first and confirmed from the chain if there; the others' envelopes go into the content store (the CID
 * follows from the committed bytes, so a repeat gives the same CID); the rows are marked SUBMITTED in a committed
 * statement; then handed to the ledger adapter, which batches them into transactions. Confirmations update the
 * rows (tx hash, block, sequence, CID; the envelope is kept for the content scrub).
 *
 * <p>An unreachable chain or content store never blocks FHIR writes: rows wait in the table, the writer backs off
 * exponentially ({@code outbox.retry-initial} .. {@code retry-max}) and catches up. Logs name outbox ids and
 * pseudonyms only.
 */
public class LedgerWriter implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(LedgerWriter.class);
	private static final long STOP_TIMEOUT_MILLIS = 5_000;

	/** Told about every confirmed row (e.g. the read-side integrity cache). */
	public interface ConfirmationListener {
		void confirmed(OutboxRow row, LedgerReceipt receipt);
	}

	public enum Role { STARTING, ACTIVE, STANDBY, STOPPED }

	private record Completion(OutboxRow row, LedgerReceipt receipt, Throwable error) {}

	private final OutboxStore store;
	private final Ledger ledger;
	private final ContentStore content;
	private final WriterLock lock;
	private final OutboxProperties settings;
	private final ConfirmationListener listener;
	private final Map<Long, Long> inFlight = new ConcurrentHashMap<>(); // outbox id -> handed to the ledger at (ms)
	private final ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
	private final Object signal = new Object();
	private final ExecutorService puts;
	private final Backoff backoff;
	private volatile boolean wakeRequested;
	private volatile boolean running;
	private volatile Thread thread;
	private volatile Role role = Role.STOPPED;
	private volatile long backoffUntil;
	private volatile Problem chainProblem;
	private volatile Problem contentProblem;
	private volatile long confirmedCount;

	/** A failure the health indicator shows until the next success of that component. */
	public record Problem(String message, long at) {}

	public LedgerWriter(OutboxStore store, Ledger ledger, ContentStore content, WriterLock lock,
			OutboxProperties settings, ConfirmationListener listener) {
		this.store = store;
		this.ledger = ledger;
		this.content = content;
		this.lock = lock;
		this.settings = settings;
		this.backoff = new Backoff(settings.retryInitial(), settings.retryMax());
		this.listener = listener;
		AtomicInteger n = new AtomicInteger();
		this.puts = Executors.newFixedThreadPool(settings.contentThreads(), r -> {
			Thread t = new Thread(r, "ledger-writer-put-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
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
		if (running) return;
		running = true;
		role = Role.STARTING;
		thread = new Thread(this::loop, "ledger-writer");
		thread.setDaemon(true);
		thread.start();
	}

	@Override
	public void stop() {
		Thread t;
		synchronized (this) {
			if (!running) return;
			running = false;
			t = thread;
		}
		wake();
		if (t != null) {
			try {
				// bounded: a round stuck on the chain or the content store is left behind (a daemon thread); the
				// rows it holds stay in the outbox and are looked up on chain after the restart
				t.join(STOP_TIMEOUT_MILLIS);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}
		puts.shutdownNow();
		lock.close();
		role = Role.STOPPED;
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	public Role role() {
		return role;
	}

	public int inFlight() {
		return inFlight.size();
	}

	/** When the oldest row handed to the ledger and not yet confirmed was handed over (ms), if any. */
	public Optional<Long> oldestInFlightSince() {
		return inFlight.values().stream().min(Long::compare);
	}

	public Problem chainProblem() {
		return chainProblem;
	}

	public Problem contentProblem() {
		return contentProblem;
	}

	public long confirmedCount() {
		return confirmedCount;
	}

	private void loop() {
		while (running) {
			try {
				if (!lock.held()) {
					if (!lock.tryAcquire()) {
						if (role != Role.STANDBY) log.info("ledger writer: standby (another replica writes for this account)");
						role = Role.STANDBY;
						drainCompletions();
						pause(settings.lockRetry().toMillis());
						continue;
					}
					log.info("ledger writer: active");
					role = Role.ACTIVE;
				}
				drainCompletions();
				long now = System.currentTimeMillis();
				if (now < backoffUntil) {
					pause(backoffUntil - now);
					continue;
				}
				int room = settings.maxInFlight() - inFlight.size();
				if (room <= 0) {
					pause(settings.pollInterval().toMillis());
					continue;
				}
				List<OutboxRow> rows = store.nextBatch(Math.min(settings.batchSize(), room), 0, inFlight.keySet());
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
		try {
			for (OutboxRow row : rows) {
				if (row.attempts() > 0 && row.kind() == OutboxRow.Kind.RECORD && alreadyOnChain(row, fromChain)) continue;
				toSend.add(row);
			}
		} catch (RuntimeException e) {
			chainFailed(e);
			return;
		} finally {
			if (!fromChain.isEmpty()) {
				store.confirm(fromChain);
				confirmedCount += fromChain.size();
			}
		}
		List<OutboxRow> stored = putContent(toSend);
		if (stored.isEmpty()) return;
		store.markSubmitted(stored);
		long now = System.currentTimeMillis();
		for (OutboxRow row : stored) {
			inFlight.put(row.id(), now);
			CompletableFuture<LedgerReceipt> f;
			try {
				f = row.kind() == OutboxRow.Kind.ACCESS
						? ledger.appendAccess(row.access())
						: ledger.appendRecord(new RecordEntry(row.resource(), row.version(), row.contentHash(),
								Cid.parse(row.cid()).toBytes(), row.patient()));
			} catch (RuntimeException e) {
				f = CompletableFuture.failedFuture(e);
			}
			f.whenComplete((receipt, error) -> {
				completions.add(new Completion(row, receipt, error));
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
		confirmed.add(new OutboxStore.Confirmation(row.id(), receipt, Cid.fromBytes(info.get().entry().cid()).toString()));
		listener.confirmed(row, receipt);
		return true;
	}

	/** Puts the RECORD envelopes in parallel; rows whose put failed stay for the next round. */
	private List<OutboxRow> putContent(List<OutboxRow> rows) {
		List<Future<OutboxRow>> futures = new ArrayList<>(rows.size());
		for (OutboxRow row : rows) {
			if (row.kind() == OutboxRow.Kind.ACCESS || row.envelope() == null) {
				futures.add(CompletableFuture.completedFuture(row));
			} else {
				futures.add(puts.submit(() -> withCid(row, content.put(row.envelope()).toString())));
			}
		}
		List<OutboxRow> stored = new ArrayList<>(rows.size());
		RuntimeException failure = null;
		for (Future<OutboxRow> f : futures) {
			try {
				stored.add(f.get());
			} catch (ExecutionException e) {
				failure = e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return List.of();
			}
		}
		if (failure != null) {
			contentProblem = new Problem(failure.getClass().getSimpleName() + ": " + failure.getMessage(),
					System.currentTimeMillis());
			log.warn("ledger writer: content store failed ({}); {} row(s) wait", failure.getClass().getSimpleName(),
					rows.size() - stored.size());
			backOff();
		} else if (!stored.isEmpty() && stored.stream().anyMatch(r -> r.kind() == OutboxRow.Kind.RECORD)) {
			contentProblem = null;
		}
		return stored;
	}

	private static OutboxRow withCid(OutboxRow r, String cid) {
		return new OutboxRow(r.id(), r.kind(), r.resourceType(), r.resourceId(), r.version(), r.resource(),
				r.patient(), r.contentHash(), r.envelope(), r.access(), r.attempts(), cid);
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
					? c.error().getCause() : c.error();
			if (e instanceof ConflictingEntryException) {
				log.error("ledger writer: {} conflicts with the chain; not retried", c.row().logName());
				store.markConflict(c.row().id(), e.getMessage());
			} else {
				lastError = e;
				store.recordError(c.row().id(), e.getClass().getSimpleName() + ": " + e.getMessage());
			}
		}
		try {
			if (!ok.isEmpty()) {
				store.confirm(ok);
				confirmedCount += ok.size();
				chainProblem = null;
				backoff.reset();
				for (Completion c : done) if (c.error() == null) listener.confirmed(c.row(), c.receipt());
			}
		} finally {
			for (Completion c : done) inFlight.remove(c.row().id());
		}
		if (lastError != null) chainFailed(lastError);
	}

	private void chainFailed(Throwable e) {
		chainProblem = new Problem(e.getClass().getSimpleName() + ": " + e.getMessage(), System.currentTimeMillis());
		log.warn("ledger writer: chain failed ({}); retrying with backoff", e.getClass().getSimpleName());
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
				running = false;
			}
			wakeRequested = false;
		}
	}

	Duration backoffRemaining() {
		return Duration.ofMillis(Math.max(0, backoffUntil - System.currentTimeMillis()));
	}
}
