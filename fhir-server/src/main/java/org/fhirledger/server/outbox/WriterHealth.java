package org.fhirledger.server.outbox;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ledger writer's state as the "outbox" health indicator shows it: this replica's {@link WriterState}, the rows handed to the
 * ledger and not yet confirmed, the last failure of the chain and of the content store (until that component's next
 * success), and how many rows were confirmed. Written by the writer's thread, read by the health check.
 */
public final class WriterHealth {

    /** A failure the health indicator shows until the next success of that component. */
    public record Problem(String message, long at) {
        static Problem of(Throwable e) {
            return new Problem(e.getClass().getSimpleName() + ": " + e.getMessage(), System.currentTimeMillis());
        }
    }

    private final Map<Long, Long> inFlight = new ConcurrentHashMap<>(); // outbox id -> handed to the ledger at (ms)
    private volatile WriterState state = WriterState.STOPPED;
    private volatile Problem chainProblem;
    private volatile Problem contentProblem;
    private volatile long confirmedCount;

    public WriterState state() {
        return state;
    }

    void state(WriterState state) {
        this.state = state;
    }

    public int inFlight() {
        return inFlight.size();
    }

    /** When the oldest row handed to the ledger and not yet confirmed was handed over (ms), if any. */
    public Optional<Long> oldestInFlightSince() {
        return inFlight.values().stream().min(Long::compare);
    }

    Set<Long> inFlightIds() {
        return inFlight.keySet();
    }

    void handedOver(long outboxId, long at) {
        inFlight.put(outboxId, at);
    }

    void settled(long outboxId) {
        inFlight.remove(outboxId);
    }

    public Problem chainProblem() {
        return chainProblem;
    }

    void chainProblem(Problem problem) {
        chainProblem = problem;
    }

    public Problem contentProblem() {
        return contentProblem;
    }

    void contentProblem(Problem problem) {
        contentProblem = problem;
    }

    public long confirmedCount() {
        return confirmedCount;
    }

    /** Only the writer's thread counts. */
    void confirmed(int rows) {
        confirmedCount += rows;
    }
}
