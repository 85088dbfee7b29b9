package org.fhirledger.server.ledger;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The embedded private chain's persistence, under {@code embedded-chain.*} (documented in docs/configuration.md and
 * docs/ledger.md). Only for a local anvil the server owns (bin/run): the server writes that node's state itself,
 * consistently and atomically, and follows and trusts only what a written snapshot holds.
 *
 * @param stateFile     where the snapshots go (anvil loads it with {@code --load-state} at start); unset: off
 * @param snapshotEvery how often a snapshot is taken (the follower lags the chain by about this much)
 * @param blockTime     the node's block time (bin/run: {@code --block-time 1}); mining is paused during a snapshot,
 *                      so a server killed right then leaves it paused: the next start resumes it with this
 * @param acceptRewrittenChain the operator's recovery, for one start: a node without the last snapshot's block is
 *                      taken as it is (logged as a break), and every outbox entry it does not hold is recorded again
 */
@ConfigurationProperties("embedded-chain")
public record EmbeddedChainProperties(
        Path stateFile, Duration snapshotEvery, Duration blockTime, boolean acceptRewrittenChain) {

    public EmbeddedChainProperties {
        snapshotEvery = snapshotEvery == null ? Duration.ofSeconds(2) : snapshotEvery;
        blockTime = blockTime == null ? Duration.ofSeconds(1) : blockTime;
        if (blockTime.toSeconds() < 1)
            throw new IllegalArgumentException("embedded-chain.block-time must be at least 1s");
        if (snapshotEvery.isNegative() || snapshotEvery.isZero()) {
            throw new IllegalArgumentException("embedded-chain.snapshot-every must be positive");
        }
    }

    public boolean enabled() {
        return stateFile != null;
    }
}
