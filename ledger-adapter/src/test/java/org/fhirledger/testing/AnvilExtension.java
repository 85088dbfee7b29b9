package org.fhirledger.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;

/**
 * Starts the pinned native anvil for a test class (register it as a static {@code @RegisterExtension} field):
 * a free port, gas price and base fee 0, the configured chain id and block time, and a state file so that
 * {@link #stop()} / {@link #restart()} keep the chain (anvil dumps its state on a graceful stop and loads it on
 * start). The binary is found under the {@code tools.dir} system property.
 */
public final class AnvilExtension implements BeforeAllCallback, AfterAllCallback {
    private static final Logger log = LoggerFactory.getLogger(AnvilExtension.class);
    private static final Pattern KEY_LINE = Pattern.compile("^\\(\\d+\\) (0x[0-9a-fA-F]{64})$");

    private final long chainId;
    private final Integer blockTimeSeconds;
    private final long gasLimit;
    private final Path binary;
    private Path stateDir;
    private int port;
    private Process process;
    private final List<String> privateKeys = Collections.synchronizedList(new ArrayList<>());

    static {
        // web3j and okhttp log every JSON-RPC call at DEBUG: far too loud for test output
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            if (ctx.getLogger("org.web3j").getLevel() == null)
                ctx.getLogger("org.web3j").setLevel(ch.qos.logback.classic.Level.INFO);
            if (ctx.getLogger("okhttp3").getLevel() == null)
                ctx.getLogger("okhttp3").setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    private AnvilExtension(long chainId, Integer blockTimeSeconds, long gasLimit) {
        this.chainId = chainId;
        this.blockTimeSeconds = blockTimeSeconds;
        this.gasLimit = gasLimit;
        this.binary = binaryPath();
    }

    /** Chain id 31337, a block per transaction (automine), 30M block gas limit. */
    public static AnvilExtension automine() {
        return new AnvilExtension(31337, null, 30_000_000);
    }

    public static AnvilExtension create(long chainId, Integer blockTimeSeconds, long blockGasLimit) {
        return new AnvilExtension(chainId, blockTimeSeconds, blockGasLimit);
    }

    public static Path binaryPath() {
        String tools = System.getProperty("tools.dir", "tools");
        return Path.of(tools, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil")
                .toAbsolutePath()
                .normalize();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        shutdown();
    }

    /** Stops anvil for good and deletes its state (for use without JUnit, e.g. a benchmark). */
    public void shutdown() {
        stop();
        deleteState();
    }

    /** Starts anvil (on a new free port the first time, on the same port and state afterwards). */
    public synchronized void start() {
        if (process != null) throw new IllegalStateException("anvil already running on port " + port);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("anvil binary not found or not executable at " + binary
                    + " (run bin/install-tools, or pass -Dtools.dir=<dir with node_modules>)");
        }
        try {
            if (stateDir == null) {
                stateDir = Files.createTempDirectory("anvil-state");
                port = FreePort.pick();
            }
            List<String> cmd = new ArrayList<>(List.of(
                    binary.toString(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    String.valueOf(port),
                    "--chain-id",
                    String.valueOf(chainId),
                    "--gas-price",
                    "0",
                    "--base-fee",
                    "0",
                    "--gas-limit",
                    String.valueOf(gasLimit),
                    "--accounts",
                    "10",
                    "--state",
                    stateDir.resolve("state.json").toString()));
            if (blockTimeSeconds != null) cmd.addAll(List.of("--block-time", String.valueOf(blockTimeSeconds)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            CountDownLatch ready = new CountDownLatch(1);
            List<String> output = Collections.synchronizedList(new ArrayList<>());
            boolean firstStart = privateKeys.isEmpty();
            Thread reader = new Thread(() -> readOutput(p, ready, output, firstStart), "anvil-" + port);
            reader.setDaemon(true);
            reader.start();
            if (!ready.await(30, TimeUnit.SECONDS) || !p.isAlive()) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        "anvil did not start on port " + port + ": " + String.join("\n", output));
            }
            process = p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start anvil at " + binary, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting anvil", e);
        }
    }

    private void readOutput(Process p, CountDownLatch ready, List<String> output, boolean collectKeys) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (output.size() < 200) output.add(line);
                Matcher m = KEY_LINE.matcher(line.trim());
                if (collectKeys && m.matches()) privateKeys.add(m.group(1));
                if (line.contains("Listening on")) ready.countDown();
            }
        } catch (IOException e) {
            log.debug("anvil output closed: {}", e.toString()); // normal when anvil stops
        }
    }

    /** Stops anvil gracefully (SIGTERM): it writes its state, so {@link #start()} continues the same chain. */
    public synchronized void stop() {
        if (process == null) return;
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public void restart() {
        stop();
        start();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String rpcUrl() {
        return "http://127.0.0.1:" + port;
    }

    public long chainId() {
        return chainId;
    }

    /** The funded dev accounts' private keys, as anvil printed them. */
    public List<String> privateKeys() {
        return List.copyOf(privateKeys);
    }

    public Credentials credentials(int index) {
        return Credentials.create(privateKeys.get(index));
    }

    private void deleteState() {
        if (stateDir == null) return;
        try (var files = Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log.warn("cannot delete {}", stateDir, e);
        }
    }
}
