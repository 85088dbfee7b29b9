package org.fhirledger.ledger.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.ledger.ConsentChange;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerListener;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.RoleChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Polls eth_getLogs for role and consent events and tells the listeners, in chain order. Polling (not
 * eth_newFilter) survives node restarts: it only remembers the last block it has seen.
 */
final class EventPoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventPoller.class);
    private static final String ROLE_GRANTED = EventEncoder.encode(AccessRegistry.ROLEGRANTED_EVENT);
    private static final String ROLE_REVOKED = EventEncoder.encode(AccessRegistry.ROLEREVOKED_EVENT);
    private static final String CONSENT_GRANTED = EventEncoder.encode(ConsentRegistry.CONSENTGRANTED_EVENT);
    private static final String CONSENT_REVOKED = EventEncoder.encode(ConsentRegistry.CONSENTREVOKED_EVENT);

    private final Web3j web3j;
    private final ContractAddresses contracts;
    private final List<LedgerListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor;
    private final long maxLogsRange;
    private long lastBlock;

    EventPoller(
            Web3j web3j, ContractAddresses contracts, long startAfterBlock, long intervalMillis, long maxLogsRange) {
        this.web3j = web3j;
        this.maxLogsRange = maxLogsRange;
        this.contracts = contracts;
        this.lastBlock = startAfterBlock;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ledger-events");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::pollQuietly, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    AutoCloseable add(LedgerListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (IOException | org.web3j.protocol.exceptions.ClientConnectionException e) {
            log.warn("event poll failed ({}), retrying at the next interval", e.toString());
        } catch (RuntimeException e) {
            log.error("event poll failed", e);
        }
    }

    private void poll() throws IOException {
        long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        // window by window (nodes cap the range of one eth_getLogs), advancing after each: a poller that fell
        // far behind catches up instead of asking for the same too-wide range forever
        while (lastBlock < latest) {
            long to = Math.min(latest, lastBlock + maxLogsRange);
            EthFilter filter = new EthFilter(
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(lastBlock + 1)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(to)),
                    List.of(contracts.accessRegistry(), contracts.consentRegistry()));
            EthLog logs = web3j.ethGetLogs(filter).send();
            if (logs.hasError())
                throw new IOException("eth_getLogs: " + logs.getError().getMessage());
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                dispatch((Log) r.get());
            }
            lastBlock = to;
        }
    }

    private void dispatch(Log l) {
        String topic = l.getTopics().get(0);
        long block = l.getBlockNumber().longValueExact();
        if (ROLE_GRANTED.equals(topic)) {
            AccessRegistry.RoleGrantedEventResponse e = AccessRegistry.getRoleGrantedEventFromLog(l);
            tell(
                    new RoleChange(e.account, Role.ofCode(e.role.intValueExact()), Bytes32.of(e.identity), true, block),
                    null);
        } else if (ROLE_REVOKED.equals(topic)) {
            AccessRegistry.RoleRevokedEventResponse e = AccessRegistry.getRoleRevokedEventFromLog(l);
            tell(
                    new RoleChange(
                            e.account, Role.ofCode(e.role.intValueExact()), Bytes32.of(e.identity), false, block),
                    null);
        } else if (CONSENT_GRANTED.equals(topic)) {
            ConsentRegistry.ConsentGrantedEventResponse e = ConsentRegistry.getConsentGrantedEventFromLog(l);
            tell(
                    null,
                    new ConsentChange(
                            Bytes32.of(e.patient),
                            e.grantee,
                            true,
                            e.actions.intValueExact(),
                            e.resourceTypes,
                            e.expiry.longValueExact(),
                            block));
        } else if (CONSENT_REVOKED.equals(topic)) {
            ConsentRegistry.ConsentRevokedEventResponse e = ConsentRegistry.getConsentRevokedEventFromLog(l);
            tell(null, new ConsentChange(Bytes32.of(e.patient), e.grantee, false, 0, BigInteger.ZERO, 0, block));
        }
    }

    private void tell(RoleChange role, ConsentChange consent) {
        for (LedgerListener listener : listeners) {
            try {
                if (role != null) listener.onRoleChange(role);
                else listener.onConsentChange(consent);
            } catch (RuntimeException e) {
                // one faulty listener must not stop the others from hearing about revocations
                log.error("ledger listener {} failed", listener, e);
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
