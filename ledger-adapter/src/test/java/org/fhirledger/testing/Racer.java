package org.fhirledger.testing;

import java.util.concurrent.atomic.AtomicReference;

/** Deterministic interleavings for race tests: run one side until it has finished or parks on a lock. */
public final class Racer {

    private Racer() {}

    /**
     * Starts {@code action} on a thread named {@code name} and returns once it has finished or is blocked or
     * waiting (on the lock under test); a throwable it raises goes to {@code failure}.
     */
    public static Thread runUntilDoneOrBlocked(String name, Runnable action, AtomicReference<Throwable> failure) {
        Thread t = new Thread(
                () -> {
                    try {
                        action.run();
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                },
                name);
        t.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Thread.State state = t.getState();
            if (state == Thread.State.TERMINATED || state == Thread.State.BLOCKED || state == Thread.State.WAITING) {
                return t;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError(name + " neither finished nor blocked within 10 s");
    }
}
