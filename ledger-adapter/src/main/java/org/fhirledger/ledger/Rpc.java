package org.fhirledger.ledger;

import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.exceptions.ClientConnectionException;

/** Runs read calls, retrying transient transport errors with backoff up to a deadline. */
final class Rpc {
    private static final Logger log = LoggerFactory.getLogger(Rpc.class);

    interface Call<T> {
        T run() throws Exception;
    }

    private final LedgerConfig config;

    Rpc(LedgerConfig config) {
        this.config = config;
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
        while (true) {
            try {
                return call.run();
            } catch (LedgerException e) {
                throw e;
            } catch (Exception e) {
                if (!isTransient(e)) {
                    throw new LedgerException(what + " failed: " + e.getMessage(), e);
                }
                if (System.nanoTime() > deadline) {
                    throw new LedgerUnavailableException(
                            what + ": node at " + config.rpcUrl() + " unreachable for "
                                    + Duration.ofNanos(config.unavailableTimeout().toNanos()), e);
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
