package org.fhirledger.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real js-ipfs daemon (Kubo RPC compatible) in a temporary repository, offline, on free loopback ports. Used by
 * {@link IpfsNodeExtension} and by benchmarks. {@link #stop()} and {@link #start()} keep the repository and API
 * port, so a client sees the same node go down and come back.
 */
public final class IpfsNode implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long READY_WAIT_MILLIS = 90_000;

    private final Path toolsDir;
    private final Path cli;
    private final Path polyfill;
    private final String nodeBinary;
    private final Path repo;
    private final int apiPort;
    private Process daemon;
    private final Thread shutdownHook = new Thread(this::kill, "ipfs-node-shutdown");

    private IpfsNode(Path toolsDir) {
        this.toolsDir = toolsDir;
        this.cli = toolsDir.resolve("node_modules/ipfs/src/cli.js");
        this.polyfill = toolsDir.resolve("with-resolvers.cjs");
        this.nodeBinary = System.getProperty("node.bin", "node");
        for (Path required : List.of(cli, polyfill)) {
            if (!Files.isRegularFile(required)) {
                throw new IllegalStateException("js-ipfs tools missing: " + required + " does not exist (tools dir "
                        + toolsDir + "). Run bin/install-tools, or pass -Dtools.dir=<dir with node_modules>.");
            }
        }
        try {
            this.repo = Files.createTempDirectory("ipfs-repo-");
            this.apiPort = FreePort.pick();
            init();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare js-ipfs repository", e);
        }
    }

    /** Tools dir from system property {@code tools.dir} (set by the build). */
    public static Path toolsDirFromSystemProperty() {
        String dir = System.getProperty("tools.dir");
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("system property tools.dir is not set; run through Maven or pass "
                    + "-Dtools.dir=<dir containing node_modules/ipfs>");
        }
        return Paths.get(dir).toAbsolutePath();
    }

    /** Initialises a repository and starts the daemon. */
    public static IpfsNode start(Path toolsDir) {
        for (int attempt = 1; ; attempt++) {
            IpfsNode node = new IpfsNode(toolsDir);
            Runtime.getRuntime().addShutdownHook(node.shutdownHook);
            try {
                node.start();
                return node;
            } catch (IllegalStateException e) {
                node.close();
                // the ports are picked free, then bound by the daemon a moment later: another process of a
                // parallel build can take one in between; a fresh repository gets fresh ports
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().contains("EADDRINUSE")) throw e;
            }
        }
    }

    /** Base URL of the Kubo RPC API, e.g. http://127.0.0.1:40123 (append /api/v0/...). */
    public URI apiUrl() {
        return URI.create("http://127.0.0.1:" + apiPort);
    }

    public Path repo() {
        return repo;
    }

    public synchronized boolean isRunning() {
        return daemon != null && daemon.isAlive();
    }

    /** Starts the daemon on the same repository and port, waiting for "Daemon is ready". */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        try {
            // A killed daemon may leave its lock and api file behind; nobody else uses this repo.
            deleteRecursively(repo.resolve("repo.lock"));
            Files.deleteIfExists(repo.resolve("api"));
            Path log = repo.resolve("daemon.log");
            ProcessBuilder builder = command("daemon", "--offline");
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
            daemon = builder.start();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_WAIT_MILLIS);
            while (true) {
                String output = Files.readString(log, StandardCharsets.UTF_8);
                if (output.contains("Daemon is ready")) {
                    return;
                }
                if (!daemon.isAlive()) {
                    throw new IllegalStateException("js-ipfs daemon exited with " + daemon.exitValue()
                            + " before it was ready; output:\n" + output);
                }
                if (System.nanoTime() > deadline) {
                    kill();
                    throw new IllegalStateException(
                            "js-ipfs daemon not ready after " + READY_WAIT_MILLIS + " ms; output:\n" + output);
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start js-ipfs daemon with " + cli, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new IllegalStateException("interrupted while starting js-ipfs", e);
        }
    }

    /** Stops the daemon and all its child processes; the repository stays for {@link #start()}. */
    public synchronized void stop() {
        kill();
    }

    @Override
    public synchronized void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        deleteRecursively(repo);
    }

    private synchronized void kill() {
        Process process = daemon;
        daemon = null;
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = Stream.concat(process.descendants(), Stream.of(process.toHandle()))
                .toList();
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception notExited) {
                handle.destroyForcibly();
            }
        }
    }

    private void init() throws IOException {
        ProcessBuilder builder = command("init", "--empty-repo");
        Path log = repo.resolve("init.log");
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        try {
            Process process = builder.start();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("js-ipfs init failed in " + repo + ":\n" + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during js-ipfs init", e);
        }
        Path configFile = repo.resolve("config");
        ObjectNode config = (ObjectNode) JSON.readTree(configFile.toFile());
        ObjectNode addresses = (ObjectNode) config.get("Addresses");
        addresses.putArray("Swarm");
        addresses.put("API", "/ip4/127.0.0.1/tcp/" + apiPort);
        addresses.put("Gateway", "/ip4/127.0.0.1/tcp/" + FreePort.pick());
        addresses.put("RPC", "/ip4/127.0.0.1/tcp/" + FreePort.pick());
        addresses.putArray("Delegates");
        config.putArray("Bootstrap");
        JSON.writerWithDefaultPrettyPrinter().writeValue(configFile.toFile(), config);
    }

    private ProcessBuilder command(String... args) {
        List<String> command =
                new java.util.ArrayList<>(List.of(nodeBinary, "-r", polyfill.toString(), cli.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(toolsDir.toFile());
        builder.environment().put("IPFS_PATH", repo.toString());
        return builder;
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
