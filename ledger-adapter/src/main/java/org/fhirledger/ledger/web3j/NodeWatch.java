package org.fhirledger.ledger.web3j;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fhirledger.ledger.LedgerOutage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit breaker on the node: a background thread probes it every probeInterval; a failed probe (or a read that
 * exhausted its retries) marks it down, and while it is down reads fail at once instead of each caller waiting out
 * its own retries. The next successful probe or call marks it up again.
 */
final class NodeWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeWatch.class);

    private final Callable<?> probe;
    private final long intervalMillis;
    private final Thread thread;
    private volatile LedgerOutage outage;
    private volatile boolean closed;

    NodeWatch(String name, Callable<?> probe, long intervalMillis) {
        this.probe = probe;
        this.intervalMillis = intervalMillis;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    NodeWatch start() {
        thread.start();
        return this;
    }

    Optional<LedgerOutage> outage() {
        return Optional.ofNullable(outage);
    }

    boolean closed() {
        return closed;
    }

    void down(Throwable cause) {
        if (closed) return;
        LedgerOutage was = outage;
        String reason = cause.getClass().getSimpleName();
        if (was == null) {
            outage = new LedgerOutage(Instant.now(), reason);
            log.warn("ledger node unreachable ({}): reads fail at once until it answers again", reason);
        } else if (!was.reason().equals(reason)) {
            outage = new LedgerOutage(was.since(), reason);
        }
    }

    void up() {
        if (outage != null) {
            log.info("ledger node reachable again (down since {})", outage.since());
            outage = null;
        }
    }

    private void run() {
        while (!closed) {
            try {
                probe.call();
                up();
            } catch (Exception e) {
                if (!closed) down(e);
            }
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
