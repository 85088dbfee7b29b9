package org.fhirledger.server.lifecycle;

/**
 * The start/stop bookkeeping of a background bean's one daemon thread (the ledger writer, the content scrub): a
 * running flag the loop checks, start at most once, and a stop that clears the flag, wakes the loop and waits for it
 * a bounded time. A thread still stuck after that is left behind: it is a daemon and its loop ends at its next check.
 */
public final class DaemonLoop {

    private final String name;
    private final Runnable body;
    private final long stopTimeoutMillis;
    private volatile boolean running;
    private Thread thread;

    public DaemonLoop(String name, Runnable body, long stopTimeoutMillis) {
        this.name = name;
        this.body = body;
        this.stopTimeoutMillis = stopTimeoutMillis;
    }

    /** Starts the thread unless it runs; returns whether it was started. */
    public synchronized boolean start() {
        if (running) return false;
        running = true;
        thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return true;
    }

    /**
     * Clears the running flag, calls {@code wake} so a waiting loop sees it, and joins the thread for at most the
     * stop timeout. Returns false (and does nothing) if it was not running.
     */
    public boolean stop(Runnable wake) {
        Thread t;
        synchronized (this) {
            if (!running) return false;
            running = false;
            t = thread;
        }
        wake.run();
        if (t != null) {
            try {
                t.join(stopTimeoutMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return true;
    }

    /** Whether the loop should go on (checked by the loop) and what SmartLifecycle.isRunning answers. */
    public boolean running() {
        return running;
    }

    /** The loop's own thread gives up (it was interrupted). */
    public void halt() {
        running = false;
    }
}
