package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.LedgerClosedException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.retry.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The one thread that signs and sends this account's transactions, so nonces are assigned in one place however
 * many threads append. Entries wait in per-lane queues; a batch goes out when full or when its oldest entry
 * waited maxWait. Up to maxInFlight signed transactions are pipelined; receipts are polled in nonce order.
 * Before sending, the batch is simulated ({@link Preflight}): entries already on chain are answered from the
 * chain and dropped from the batch, so one duplicate never sinks the others. A batch that still reverts (a race with
 * another sender) is queued again and re-simulated. A signed transaction the node forgot (restart) is sent
 * again with the same bytes, so the nonce sequence never gaps. This class keeps the queues, batching and the
 * thread; the nonce line ({@link NonceLine}) and the receipt polling ({@link ReceiptPoller}) are apart, as web3j
 * keeps FastRawTransactionManager and PollingTransactionReceiptProcessor apart.
 */
final class Submitter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Submitter.class);

    private final Web3j web3j;
    private final Preflight preflight;
    private final LedgerConfig config;
    private final List<Lane<Object>> lanes;
    private final Map<Lane<Object>, Deque<Pending<Object>>> queues = new java.util.LinkedHashMap<>();
    private final Deque<DirectCall> directs = new ArrayDeque<>();
    private final List<InFlight> inFlight = new ArrayList<>(); // submitter thread only, in nonce order
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Thread thread;
    private final NonceLine nonces;
    private final ReceiptPoller receipts;
    private volatile boolean closing;
    private volatile boolean stopped;

    @SuppressWarnings("unchecked")
    Submitter(
            Web3j web3j,
            Credentials credentials,
            LedgerConfig config,
            List<? extends Lane<?>> lanes,
            BigInteger startNonce) {
        this.web3j = web3j;
        this.preflight = new Preflight(web3j, credentials.getAddress());
        this.config = config;
        this.lanes = (List<Lane<Object>>) (List<?>) List.copyOf(lanes);
        for (Lane<Object> l : this.lanes) queues.put(l, new ArrayDeque<>());
        this.nonces = new NonceLine(web3j, credentials, config, inFlight, this::broadcast, startNonce);
        this.receipts = new ReceiptPoller(web3j, config, inFlight, nonces, new ReceiptPoller.Settle() {
            @Override
            public void mined(InFlight f, TransactionReceipt receipt) {
                complete(f, receipt);
            }

            @Override
            public void failed(InFlight f, LedgerException ex) {
                failInFlight(f, ex);
            }

            @Override
            public void resend(InFlight f) throws IOException {
                broadcast(f);
            }
        });
        this.thread = new Thread(
                this::run, "ledger-submitter-" + credentials.getAddress().substring(0, 10));
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @SuppressWarnings("unchecked")
    <E> CompletableFuture<LedgerReceipt> submit(Lane<E> lane, E entry) {
        Pending<Object> p = new Pending<>(entry);
        lock.lock();
        try {
            if (closing) throw new LedgerClosedException("ledger adapter is closed");
            queues.get((Lane<Object>) (Lane<?>) lane).addLast(p);
            work.signal();
        } finally {
            lock.unlock();
        }
        return p.future;
    }

    CompletableFuture<TransactionReceipt> submitDirect(String to, String data, long gasLimit) {
        DirectCall d = new DirectCall(to, data, gasLimit, new CompletableFuture<>(), System.nanoTime());
        lock.lock();
        try {
            if (closing) throw new LedgerClosedException("ledger adapter is closed");
            directs.addLast(d);
            work.signal();
        } finally {
            lock.unlock();
        }
        return d.future();
    }

    private void run() {
        Backoff backoff = new Backoff(config.retryInitial(), config.retryMax());
        while (!stopped) {
            try {
                receipts.pollReceipts();
                sendReady();
                failExpired();
                if (closing && isIdle()) break;
                backoff.reset();
                awaitWork();
            } catch (IOException | org.web3j.protocol.exceptions.ClientConnectionException e) {
                long delay = backoff.nextDelayMillis();
                log.warn("ledger node unreachable ({}), retrying in {} ms", e.toString(), delay);
                sleepQuietly(delay);
            } catch (RuntimeException e) {
                // a bug or an unexpected node answer: keep the thread alive, entries stay queued
                log.error("ledger submitter error", e);
                sleepQuietly(backoff.nextDelayMillis());
            }
        }
    }

    private boolean isIdle() {
        lock.lock();
        try {
            return inFlight.isEmpty()
                    && directs.isEmpty()
                    && queues.values().stream().allMatch(Deque::isEmpty);
        } finally {
            lock.unlock();
        }
    }

    private void awaitWork() {
        long waitNanos = config.pollInterval().toNanos();
        lock.lock();
        try {
            if (directs.isEmpty() && !anyBatchReady(System.nanoTime())) {
                boolean full = inFlight.size() >= config.maxInFlight();
                for (Deque<Pending<Object>> q : full ? List.<Deque<Pending<Object>>>of() : queues.values()) {
                    if (!q.isEmpty()) {
                        long due =
                                q.peekFirst().enqueuedNanos + config.maxWait().toNanos() - System.nanoTime();
                        waitNanos = Math.min(waitNanos, Math.max(0, due));
                    }
                }
                if (waitNanos > 0) work.awaitNanos(waitNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        } finally {
            lock.unlock();
        }
    }

    private boolean anyBatchReady(long now) {
        if (inFlight.size() >= config.maxInFlight()) return false;
        for (Deque<Pending<Object>> q : queues.values()) {
            if (q.size() >= config.maxBatchSize()
                    || (!q.isEmpty()
                            && (closing
                                    || now - q.peekFirst().enqueuedNanos
                                            >= config.maxWait().toNanos()))) {
                return true;
            }
        }
        return false;
    }

    private void sendReady() throws IOException {
        while (inFlight.size() < config.maxInFlight()) {
            DirectCall d;
            lock.lock();
            try {
                d = directs.pollFirst();
            } finally {
                lock.unlock();
            }
            if (d == null) break;
            // the caller gave up (timeout): a consent change it was told failed must not take effect later
            if (d.future().isDone()) continue;
            sendDirect(d);
        }
        boolean sent = true;
        while (sent && inFlight.size() < config.maxInFlight()) {
            sent = false;
            for (Lane<Object> lane : lanes) {
                List<Pending<Object>> batch = takeBatch(lane);
                if (batch.isEmpty()) continue;
                sent = true;
                sendBatch(lane, batch);
                if (inFlight.size() >= config.maxInFlight()) break;
            }
        }
    }

    private List<Pending<Object>> takeBatch(Lane<Object> lane) {
        lock.lock();
        try {
            Deque<Pending<Object>> q = queues.get(lane);
            long now = System.nanoTime();
            boolean ready = q.size() >= config.maxBatchSize()
                    || (!q.isEmpty()
                            && (closing
                                    || now - q.peekFirst().enqueuedNanos
                                            >= config.maxWait().toNanos()));
            if (!ready) return List.of();
            List<Pending<Object>> batch = new ArrayList<>();
            while (batch.size() < config.maxBatchSize() && !q.isEmpty()) batch.add(q.pollFirst());
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void requeue(Lane<Object> lane, List<Pending<Object>> batch) {
        lock.lock();
        try {
            if (stopped) {
                // abandon() has already drained the queues: nobody would ever send or fail these
                LedgerClosedException ex = new LedgerClosedException("ledger adapter closed before confirmation");
                batch.forEach(p -> p.future.completeExceptionally(ex));
                return;
            }
            Deque<Pending<Object>> q = queues.get(lane);
            for (int i = batch.size() - 1; i >= 0; i--) q.addFirst(batch.get(i));
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void sendBatch(Lane<Object> lane, List<Pending<Object>> batch) throws IOException {
        Preflight.Outcome checked;
        try {
            checked = preflight.batch(lane, batch);
        } catch (IOException | RuntimeException e) {
            // nothing of this batch is signed yet: every entry not answered goes back to the queue, in order
            requeue(lane, batch.stream().filter(p -> !p.future.isDone()).toList());
            throw e;
        }
        if (!checked.later().isEmpty()) requeue(lane, checked.later());
        List<Pending<Object>> live = checked.live();
        if (live.isEmpty()) return;
        long gas = config.baseGas() + config.gasPerEntry() * live.size();
        // from here the InFlight owns the entries: a failure below must not requeue them (no double send)
        InFlight f = nonces.sign(lane, live, null, lane.contractAddress(), checked.data(), gas);
        broadcast(f);
    }

    private void sendDirect(DirectCall d) throws IOException {
        try {
            Optional<ContractErrors.Revert> refused = preflight.refusalOf(d.to(), d.data());
            if (refused.isPresent()) {
                d.future()
                        .completeExceptionally(new ContractRevertException(
                                refused.get().name(), refused.get().signature()));
                return;
            }
        } catch (IOException | RuntimeException e) {
            // not signed yet: back to the front of the queue
            requeueDirect(d);
            throw e;
        }
        InFlight f = nonces.sign(null, List.of(), d, d.to(), d.data(), d.gasLimit());
        broadcast(f);
    }

    private void requeueDirect(DirectCall d) {
        lock.lock();
        try {
            if (stopped) {
                d.future()
                        .completeExceptionally(new LedgerClosedException("ledger adapter closed before confirmation"));
            } else if (!d.future().isDone()) {
                directs.addFirst(d);
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends the signed bytes; a transport error leaves it in flight (sent again later). */
    private void broadcast(InFlight f) throws IOException {
        f.lastBroadcastNanos = System.nanoTime();
        EthSendTransaction r;
        try {
            r = web3j.ethSendRawTransaction(f.rawHex).send();
        } catch (IOException | org.web3j.protocol.exceptions.ClientConnectionException e) {
            // the node may or may not have it: keep it in flight; polling sends it again if the node lacks it
            log.warn("sending transaction with nonce {} failed ({}); will retry", f.nonce, e.toString());
            return;
        }
        if (!r.hasError()) return;
        String msg = String.valueOf(r.getError().getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (msg.contains("already known") || msg.contains("already imported") || msg.contains("known transaction")) {
            return;
        }
        if (msg.contains("nonce too low")) {
            // The nonce is used, but perhaps by this very transaction, mined while the node lagged or restarted:
            // then it is done (re-sending a consent grant under a new nonce could undo a later revoke). A failed
            // lookup throws with f still in flight, so it is asked again at the next poll.
            Optional<TransactionReceipt> mine =
                    web3j.ethGetTransactionReceipt(f.hash).send().getTransactionReceipt();
            inFlight.remove(f);
            if (mine.isPresent()) {
                log.info("transaction with nonce {} was already mined", f.nonce);
                complete(f, mine.get());
                return;
            }
            // used by another transaction of this account: requeue first (so a failing read loses nothing),
            // then take the chain's count
            retryLater(f);
            nonces.skipToChain(f);
            return;
        }
        inFlight.remove(f);
        // refused for good: fail it, and fill its nonce so later transactions are not stuck behind a gap
        LedgerException ex =
                new LedgerException("node refused transaction: " + r.getError().getMessage());
        failInFlight(f, ex);
        log.error(
                "node refused transaction with nonce {}: {}",
                f.nonce,
                r.getError().getMessage());
        if (f.gapFiller) return; // the predecessor's transaction is still there after all: nothing to fill
        if (f.lane == null && f.direct == null) {
            // the filler itself was refused: take the chain's count rather than loop
            nonces.resetToChain();
            return;
        }
        nonces.fillNonce(f.nonce, false);
    }

    private void retryLater(InFlight f) {
        if (f.direct != null) {
            if (!f.abandoned) requeueDirect(f.direct);
        } else if (f.lane != null && !f.abandoned) {
            requeue(f.lane, f.batch);
        }
    }

    private void failInFlight(InFlight f, LedgerException ex) {
        if (f.direct != null) f.direct.future().completeExceptionally(ex);
        f.batch.forEach(p -> p.future.completeExceptionally(ex));
    }

    private void complete(InFlight f, TransactionReceipt receipt) {
        if (f.abandoned) return;
        if (f.direct != null) {
            if (receipt.isStatusOK()) {
                f.direct.future().complete(receipt);
            } else {
                f.direct
                        .future()
                        .completeExceptionally(new ContractRevertException(
                                "TransactionFailed", "transaction " + f.hash + " reverted"));
            }
            return;
        }
        if (f.lane == null) return; // nonce filler
        if (receipt.isStatusOK()) {
            Map<Object, LedgerReceipt> recorded =
                    f.lane.recorded(receipt, f.batch.stream().map(p -> p.entry).toList());
            List<Pending<Object>> notFound = new ArrayList<>();
            for (Pending<Object> p : f.batch) {
                LedgerReceipt r = recorded.get(p.entry);
                if (r != null) p.future.complete(r);
                else notFound.add(p);
            }
            if (!notFound.isEmpty()) {
                log.error("{}: {} entries missing from the logs of {}", f.lane.name(), notFound.size(), f.hash);
                requeue(f.lane, notFound);
            }
            return;
        }
        // reverted on chain although the simulation passed: another transaction got there first; simulate again
        List<Pending<Object>> again = new ArrayList<>();
        for (Pending<Object> p : f.batch) {
            if (++p.attempts >= config.maxAttempts()) {
                p.future.completeExceptionally(new ContractRevertException(
                        "TransactionFailed", f.lane.name() + " batch reverted " + p.attempts + " times"));
            } else {
                again.add(p);
            }
        }
        log.info("{} batch {} reverted on chain; re-simulating {} entries", f.lane.name(), f.hash, again.size());
        requeue(f.lane, again);
    }

    private void failExpired() {
        // entries that never left the queue because the node stayed down
        long limit = config.receiptTimeout().toNanos();
        long now = System.nanoTime();
        lock.lock();
        try {
            for (Deque<Pending<Object>> q : queues.values()) {
                while (!q.isEmpty() && now - q.peekFirst().enqueuedNanos > limit) {
                    q.pollFirst()
                            .future
                            .completeExceptionally(new LedgerUnavailableException(
                                    "entry not sent within " + config.receiptTimeout() + " (node unreachable?)", null));
                }
            }
            // a consent change not sent in time fails and is dropped: it must not take effect after the caller
            // was told it failed
            for (Iterator<DirectCall> it = directs.iterator(); it.hasNext(); ) {
                DirectCall d = it.next();
                if (d.future().isDone() || now - d.enqueuedNanos() > limit) {
                    it.remove();
                    d.future()
                            .completeExceptionally(new LedgerUnavailableException(
                                    "transaction not sent within " + config.receiptTimeout() + " (node unreachable?)",
                                    null));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drains: waits up to closeTimeout for queued and in-flight entries, then fails the rest. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(config.closeTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abandon();
    }

    /** Stops at once, as a crash would: in-flight transactions may still be mined; their futures fail. */
    void abandon() {
        closing = true;
        stopped = true;
        thread.interrupt();
        try {
            thread.join(Math.max(1000, config.closeTimeout().toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LedgerClosedException ex = new LedgerClosedException("ledger adapter closed before confirmation");
        lock.lock();
        try {
            for (Deque<Pending<Object>> q : queues.values()) {
                q.forEach(p -> p.future.completeExceptionally(ex));
                q.clear();
            }
            directs.forEach(d -> d.future().completeExceptionally(ex));
            directs.clear();
        } finally {
            lock.unlock();
        }
        for (InFlight f : new ArrayList<>(inFlight)) failInFlight(f, ex);
    }
}
