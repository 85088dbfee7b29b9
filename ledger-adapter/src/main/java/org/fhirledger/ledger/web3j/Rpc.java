package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.time.Duration;
import org.fhirledger.ledger.LedgerClosedException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerOutage;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.retry.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.exceptions.ClientConnectionException;

/**
 * Runs read calls, retrying transient transport errors with backoff up to a deadline. With a {@link NodeWatch}: no
 * call and no retry while the node is known to be down (fail fast), none once the adapter is closing, and a call that
 * exhausted its retries marks the node down.
 */
final class Rpc {
    private static final Logger log = LoggerFactory.getLogger(Rpc.class);

    interface Call<T> {
        T run() throws Exception;
    }

    private final LedgerConfig config;
    private final NodeWatch watch;

    Rpc(LedgerConfig config) {
        this(config, null);
    }

    Rpc(LedgerConfig config, NodeWatch watch) {
        this.config = config;
        this.watch = watch;
    }

    private void failFast(String what, Exception cause) {
        if (watch == null) return;
        if (watch.closed()) throw new LedgerClosedException("ledger adapter closed during " + what);
        LedgerOutage o = watch.outage().orElse(null);
        if (o != null) {
            throw new LedgerUnavailableException(
                    what + ": node at " + config.rpcUrl() + " unreachable since " + o.since() + " (" + o.reason() + ")",
                    cause);
        }
    }

    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof ClientConnectionException) return true;
        }
        return false;
    }

    <T> T call(String what, Call<T> call) {
        long deadline = System.nanoTime() + config.unavailableTimeout().toNanos();
        Backoff backoff = new Backoff(config.retryInitial(), config.retryMax());
        failFast(what, null);
        while (true) {
            try {
                T result = call.run();
                if (watch != null) watch.up();
                return result;
            } catch (LedgerException e) {
                throw e;
            } catch (Exception e) {
                if (!isTransient(e)) {
                    throw new LedgerException(what + " failed: " + e.getMessage(), e);
                }
                failFast(what, e);
                if (System.nanoTime() > deadline) {
                    if (watch != null) watch.down(e);
                    throw new LedgerUnavailableException(
                            what + ": node at " + config.rpcUrl() + " unreachable for "
                                    + Duration.ofNanos(
                                            config.unavailableTimeout().toNanos()),
                            e);
                }
                long delay = backoff.nextDelayMillis();
                log.warn("{}: transient RPC error ({}), retrying in {} ms", what, e.toString(), delay);
                sleep(delay);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new LedgerException("interrupted", ie);
        }
    }
}
