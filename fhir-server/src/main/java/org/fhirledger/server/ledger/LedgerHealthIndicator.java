package org.fhirledger.server.ledger;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import org.fhirledger.ledger.LedgerOutage;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * "ledger" in /actuator/health: UP with the chain id, the server's account and the latest block when the node
 * answers and serves the configured chain; DOWN (never an exception) otherwise. Part of the overall health only,
 * not of liveness or readiness: a chain outage must not restart the server nor take it out of the load balancer.
 */
final class LedgerHealthIndicator extends AbstractHealthIndicator implements DisposableBean {
    private final Supplier<Optional<LedgerOutage>> outage;
    private final Web3j web3j;
    private final long chainId;
    private final String account;
    private final String rpcUrl;

    LedgerHealthIndicator(String rpcUrl, long chainId, String account, Supplier<Optional<LedgerOutage>> outage) {
        super("ledger health check failed");
        this.outage = outage;
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(2, TimeUnit.SECONDS)
                .readTimeout(3, TimeUnit.SECONDS)
                .callTimeout(5, TimeUnit.SECONDS)
                .build();
        this.web3j = Web3j.build(new HttpService(rpcUrl, http));
        this.chainId = chainId;
        this.account = account;
        this.rpcUrl = rpcUrl;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("rpcUrl", rpcUrl).withDetail("account", account);
        try {
            long actual = web3j.ethChainId().send().getChainId().longValueExact();
            builder.withDetail("chainId", actual);
            if (actual != chainId) {
                builder.down().withDetail("error", "node serves chain id " + actual + ", configured " + chainId);
                return;
            }
            builder.withDetail(
                    "latestBlock",
                    web3j.ethBlockNumber().send().getBlockNumber().longValueExact());
            builder.up();
        } catch (Exception e) {
            builder.down()
                    .withDetail("error", "node unreachable: " + e.getClass().getSimpleName());
            // since when, as the ledger's background probe saw it (its own calls answer 503 at once meanwhile)
            outage.get()
                    .ifPresent(o -> builder.withDetail("downSince", o.since().toString()));
        }
    }

    @Override
    public void destroy() {
        web3j.shutdown();
    }
}
