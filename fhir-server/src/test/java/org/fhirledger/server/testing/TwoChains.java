package org.fhirledger.server.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.server.Application;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A private anvil (chain 31337, the ledger; the server deploys its contracts there) and a public anvil (chain
 * 31338, where the anchor job deploys the registry and anchors) for one test class, with the server settings that
 * point at them: batches leave after 10 ms, the anchor job follows the private chain every 200 ms and anchors every
 * second. Register it with {@code @RegisterExtension}; a test passes only the settings that differ.
 */
public final class TwoChains implements BeforeAllCallback, AfterAllCallback {

    public static final long PUBLIC_CHAIN_ID = 31338;

    private final AnvilExtension privateChain;
    private final AnvilExtension publicChain = AnvilExtension.create(PUBLIC_CHAIN_ID, null, 30_000_000);

    private TwoChains(AnvilExtension privateChain) {
        this.privateChain = privateChain;
    }

    /** The private chain mines a block per transaction. */
    public static TwoChains automine() {
        return new TwoChains(AnvilExtension.automine());
    }

    /** The private chain mines a block every {@code seconds}, as a real one does. */
    public static TwoChains privateBlockTime(int seconds) {
        return new TwoChains(AnvilExtension.create(31337, seconds, 30_000_000));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        privateChain.beforeAll(context);
        publicChain.beforeAll(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            publicChain.afterAll(context);
        } finally {
            privateChain.afterAll(context);
        }
    }

    public AnvilExtension privateChain() {
        return privateChain;
    }

    public AnvilExtension publicChain() {
        return publicChain;
    }

    /** The settings every two-chain test shares: the anchor job on the public chain and short batching. */
    public List<String> sharedArgs() {
        return List.of(
                "--ledger.max-wait=10ms",
                "--anchor.enabled=true",
                "--anchor.rpc-url=" + publicChain.rpcUrl(),
                "--anchor.chain-id=" + PUBLIC_CHAIN_ID,
                "--anchor.gas-price=0",
                "--anchor.every=1s",
                "--anchor.follow-interval=200ms");
    }

    /** The server (H2, in {@code dataDir}, on a random port) on both chains, plus {@code extra}. */
    public ConfigurableApplicationContext startServer(Path dataDir, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir=" + dataDir,
                "--server.port=0",
                "--ledger.enabled=true",
                "--ledger.rpc-url=" + privateChain.rpcUrl(),
                "--ledger.chain-id=" + privateChain.chainId()));
        args.addAll(sharedArgs());
        args.addAll(List.of(extra));
        return new SpringApplicationBuilder(Application.class).run(args.toArray(String[]::new));
    }

    /** A {@link PipelineServer} on both chains, plus {@code extra} (e.g. the PostgreSQL and content-store settings). */
    public PipelineServer startPipeline(Path dataDir, String... extra) {
        List<String> args = new ArrayList<>(sharedArgs());
        args.addAll(List.of(extra));
        return PipelineServer.start(
                dataDir, privateChain.rpcUrl(), privateChain.chainId(), args.toArray(String[]::new));
    }
}
