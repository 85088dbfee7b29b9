package org.fhirledger.server.exchange;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.ledger.CustodianEnrolledListener;
import org.fhirledger.server.ledger.LedgerBootstrap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server started on an existing consortium's contracts before the directory admitted it (docs/exchange.md, Staff
 * roles per institution): it says once in its log what a member must enter, reads the directory again every
 * {@code exchange.cache-ttl} (at least every second), and once admitted enrols itself as its institution's CUSTODIAN
 * (a member's custodian account acts for its own institution without holding ADMIN), then tells the
 * {@link CustodianEnrolledListener}s (dev mode: its dev ADMIN). A server that holds CUSTODIAN already does nothing.
 */
public final class SelfEnrolment implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SelfEnrolment.class);
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    private final InstitutionDirectory directory;
    private final Ledger ledger;
    private final Institution self;
    private final ConsortiumView view;
    private final Duration interval;
    private final List<CustodianEnrolledListener> listeners;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "self-enrolment");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean enrolled;
    private boolean told;

    SelfEnrolment(
            InstitutionDirectory directory,
            Ledger ledger,
            Institution self,
            ConsortiumView view,
            Duration interval,
            List<CustodianEnrolledListener> listeners) {
        this.directory = directory;
        this.ledger = ledger;
        this.self = self;
        this.view = view;
        this.interval = interval.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : interval;
        this.listeners = List.copyOf(listeners);
    }

    void start() {
        timer.execute(this::check);
    }

    /**
     * Whether this server holds CUSTODIAN on chain (enrolled from the start or by itself; after a self-enrolment, once
     * the listeners ran).
     */
    public boolean enrolled() {
        return enrolled;
    }

    private void check() {
        try {
            if (attempt()) {
                timer.shutdown();
                return;
            }
        } catch (LedgerException e) {
            log.warn("Self-enrolment: the ledger did not answer ({}); trying again in {}", e.getMessage(), interval);
        } catch (RuntimeException e) {
            log.error("Self-enrolment failed; trying again in {}", interval, e);
        }
        if (!timer.isShutdown()) timer.schedule(this::check, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One look at the chain; true once this server holds CUSTODIAN. */
    synchronized boolean attempt() {
        if (enrolled) return true;
        if (ledger.hasRole(self.custodian(), Role.CUSTODIAN)) {
            enrolled = true;
            return true;
        }
        if (!directory.isMember(self.custodian())) {
            if (!told) {
                told = true;
                log.warn(
                        "This server is not a member of the consortium yet: ask a member's admin to admit it"
                                + " (POST [member]/fhir/$propose-admission with custodian={}, organization={},"
                                + " fhirBaseUrl={}, authKey=the JWK from GET {}/$membership-request); it enrols itself"
                                + " once admitted",
                        self.custodian(),
                        self.organization(),
                        self.fhirBaseUrl(),
                        self.fhirBaseUrl());
            }
            return false;
        }
        try {
            ledger.assignRole(self.custodian(), Role.CUSTODIAN, LedgerBootstrap.devIdentity(self.custodian()));
        } catch (ContractRevertException e) {
            // RoleAlreadyHeld: another replica of this server enrolled it meanwhile
            if (!ledger.hasRole(self.custodian(), Role.CUSTODIAN)) throw e;
        }
        view.invalidate();
        log.info("The consortium admitted this server: enrolled as its institution's CUSTODIAN ({})", self.custodian());
        for (CustodianEnrolledListener l : listeners) {
            try {
                l.enrolled(ledger);
            } catch (RuntimeException e) {
                log.error("After self-enrolment, {} failed", l, e);
            }
        }
        enrolled = true; // after the listeners: whoever waits for it finds the dev ADMIN enrolled too
        return true;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
