package org.fhirledger.server.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.fhirledger.files.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Keeps the embedded anvil's chain consistent through a crash. anvil holds its chain in memory; its own
 * {@code --state-interval} dump reads the blocks and the account storage at different moments (a block mined in
 * between is in the storage but not in the blocks: contract counters ahead of events) and rewrites the file in place
 * (a kill during the write leaves half a file). So the server takes the snapshots itself: mining paused, one block
 * mined to wait out a block in progress, {@code anvil_dumpState}, another block mined to prove no other block got in,
 * mining resumed; the JSON goes to a temp file beside the state file, is forced to disk and renamed over it, and then
 * the snapshot's block number and hash go to {@code <state file>.block}. anvil loads the file at start
 * ({@code --load-state}). A round that finds only empty blocks since the last snapshot takes none: the dump covers
 * the whole history, so an idle server would otherwise keep dumping a large chain and adding blocks.
 *
 * <p>Only blocks up to the last snapshot are durable ({@link #durableBlock()}): the ledger follower reads no further.
 * Entries confirmed above it may be lost by a crash of the node; when the node comes back without the blocks it had
 * (checked every round, and once at start-up against the last snapshot), the {@link LostBlocksListener}s are told,
 * the outbox records those entries again and the database's consents and roles are sent again (authz resyncs). A
 * listener that fails (the node refuses for a moment after it came back) is told again at the next round, and no
 * snapshot is taken until every listener took the loss. A node that no longer has the last snapshot's block (its state
 * was replaced or deleted) is a rewritten chain: health DOWN, the operator's recovery in docs/ledger.md.
 */
public final class EmbeddedChain extends AbstractHealthIndicator implements ChainDurability, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedChain.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A block by number and hash. */
    public record Mark(long block, String hash) {}

    private final URI rpc;
    private final Path stateFile;
    private final Path markFile;
    private final Duration every;
    private final boolean acceptRewritten;
    private final long blockTimeSeconds;
    private final List<LostBlocksListener> listeners;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "embedded-chain-snapshots");
        t.setDaemon(true);
        return t;
    });
    private volatile Mark durable;
    private volatile Mark lastSeen;
    private volatile String rewritten;
    /**
     * A loss noticed and not yet told to every listener (they ask the node, which may still refuse for a moment after
     * it came back): told again at the start of every round, and no snapshot moves the durable block past it before.
     */
    private Long lossToTell;

    private volatile String lastError;
    private volatile long lastSnapshotAt;
    private volatile long lastSnapshotMillis;
    /** When a round last found the last snapshot still holding every transaction (no dump needed). */
    private volatile long lastIdleRoundAt;

    private volatile long idleRounds;
    /** Blocks up to this one, above the last snapshot's, hold no transaction. */
    private long emptyUpTo = -1;

    public EmbeddedChain(String rpcUrl, EmbeddedChainProperties settings, List<LostBlocksListener> listeners) {
        super("embedded chain health check failed");
        this.rpc = URI.create(rpcUrl);
        this.stateFile = settings.stateFile().toAbsolutePath().normalize();
        this.markFile = stateFile.resolveSibling(stateFile.getFileName() + ".block");
        this.every = settings.snapshotEvery();
        this.acceptRewritten = settings.acceptRewrittenChain();
        this.blockTimeSeconds = settings.blockTime().toSeconds();
        this.listeners = List.copyOf(listeners);
        this.durable = readMark().orElse(null);
    }

    /** Checks the node against the last snapshot, takes a first one and schedules the rest. */
    public void start() {
        try {
            if (!call("anvil_getAutomine").asBoolean()
                    && !call("anvil_getIntervalMining").isNumber()) {
                log.warn(
                        "embedded chain: the node does not mine (a server stopped during a snapshot); mining resumed"
                                + " every {} s",
                        blockTimeSeconds);
                call("anvil_setIntervalMining", blockTimeSeconds);
            }
            if (durable != null) {
                if (chainHas(durable)) {
                    // the previous process may have confirmed entries above the snapshot that this node never had
                    noteLoss(durable.block());
                } else if (acceptRewritten) {
                    log.error(
                            "embedded chain: BREAK: the node has no block {} {} of the last snapshot; taken as it is"
                                    + " (embedded-chain.accept-rewritten-chain): every entry it does not hold is recorded again",
                            durable.block(),
                            durable.hash());
                    noteLoss(-1);
                } else {
                    rewritten("the node has no block " + durable.block() + " " + durable.hash()
                            + " of the last snapshot (its state was replaced, deleted or is older)");
                }
            }
            tellPendingLoss();
            if (rewritten == null) snapshot();
        } catch (IOException | RuntimeException e) {
            lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.warn("embedded chain: first snapshot failed ({}); retrying every {}", lastError, every);
        }
        scheduleNext();
    }

    /**
     * Mining waits while anvil dumps, and a dump takes longer as the chain grows: the next round comes after
     * {@code snapshot-every} or nine times the last dump's duration, whichever is longer, so mining is paused for
     * at most about a tenth of the time.
     */
    private void scheduleNext() {
        long delay = Math.max(every.toMillis(), 9 * lastSnapshotMillis);
        try {
            timer.schedule(
                    () -> {
                        round();
                        scheduleNext();
                    },
                    delay,
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    @Override
    public long durableBlock() {
        Mark d = durable;
        return d == null ? -1 : d.block();
    }

    public Optional<Mark> durable() {
        return Optional.ofNullable(durable);
    }

    /** Why the chain is no longer the one the snapshots hold, if it is not. */
    public Optional<String> rewritten() {
        return Optional.ofNullable(rewritten);
    }

    /** One round: lost blocks noticed, then a snapshot (package-private: tests run one without waiting for the timer). */
    void round() {
        try {
            Mark seen = lastSeen;
            if (seen != null && !chainHas(seen)) {
                Mark d = durable;
                if (d != null && chainHas(d)) {
                    log.warn(
                            "embedded chain: the node came back without blocks above {} (restarted from its snapshot);"
                                    + " entries confirmed above it are recorded again",
                            d.block());
                    lastSeen = null;
                    noteLoss(d.block());
                } else if (rewritten == null) {
                    rewritten("the node has neither block " + seen.block() + " nor the snapshot's block "
                            + (d == null ? "-" : d.block()));
                }
            }
            tellPendingLoss();
            if (rewritten == null) {
                if (onlyEmptyBlocksSinceSnapshot()) {
                    lastIdleRoundAt = System.currentTimeMillis();
                    idleRounds++;
                } else {
                    snapshot();
                }
            }
        } catch (IOException | RuntimeException e) {
            lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.warn("embedded chain: snapshot round failed ({})", lastError);
        }
    }

    /**
     * Whether every block above the last snapshot's is one of the node's own empty blocks: then the snapshot holds
     * everything and a new one (a dump of the whole history with mining paused, two more blocks) would add nothing.
     * Each block is looked at once; a node restarted without them ({@code lastSeen} cleared) always gets a snapshot.
     */
    private synchronized boolean onlyEmptyBlocksSinceSnapshot() throws IOException {
        Mark d = durable;
        if (d == null || lastSeen == null || emptyUpTo < d.block()) return false;
        long head = head().block();
        for (long b = emptyUpTo + 1; b <= head; b++) {
            JsonNode block = call("eth_getBlockByNumber", "0x" + Long.toHexString(b), false);
            if (block == null || block.isNull() || block.path("transactions").size() > 0) return false;
            emptyUpTo = b;
        }
        return true;
    }

    private synchronized void noteLoss(long above) {
        lossToTell = lossToTell == null ? above : Math.min(lossToTell, above);
    }

    /** Every listener told (again: they are idempotent); a failure leaves the loss for the next round. */
    private void tellPendingLoss() {
        Long above;
        synchronized (this) {
            above = lossToTell;
        }
        if (above == null) return;
        for (LostBlocksListener l : listeners) l.blocksLostAbove(above);
        synchronized (this) {
            if (above.equals(lossToTell)) lossToTell = null;
        }
    }

    private void rewritten(String why) {
        rewritten = why + "; the chain was rewritten: see docs/ledger.md, recovering from a rewritten private chain";
        log.error("embedded chain: {}", rewritten);
    }

    /** One consistent snapshot, written atomically; the durable block moves only after the file is in place. */
    public synchronized Mark snapshot() throws IOException {
        if (lossToTell != null) {
            // the durable block must not pass entries still to be looked at: the next start would not see them
            throw new IOException("blocks lost above " + lossToTell + " not yet handled; no snapshot before");
        }
        long started = System.currentTimeMillis();
        boolean automine = call("anvil_getAutomine").asBoolean();
        JsonNode interval = call("anvil_getIntervalMining");
        String hexDump;
        Mark at;
        Mark after;
        try {
            if (automine) call("evm_setAutomine", false);
            if (interval.isNumber() && interval.asLong() > 0) call("anvil_setIntervalMining", 0);
            call("evm_mine"); // waits for a block in progress (mining holds one lock) and mines on the paused chain
            at = head();
            hexDump = call("anvil_dumpState").asText();
            call("evm_mine");
            after = head();
            if (after.block() != at.block() + 1) {
                throw new IOException("a block was mined during the dump; the snapshot is discarded");
            }
        } finally {
            if (interval.isNumber() && interval.asLong() > 0) call("anvil_setIntervalMining", interval.asLong());
            if (automine) call("evm_setAutomine", true);
        }
        writeState(hexDump);
        DurableFiles.writeAtomically(
                markFile,
                JSON.writeValueAsBytes(
                        JSON.createObjectNode().put("block", at.block()).put("hash", at.hash())),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        durable = at;
        emptyUpTo = at.block(); // the block after it may hold transactions sent during the dump: looked at next round
        // a block the snapshot does not hold: a node restarted from the snapshot no longer has it
        lastSeen = after;
        lastError = null;
        lastSnapshotAt = System.currentTimeMillis();
        lastSnapshotMillis = lastSnapshotAt - started;
        return at;
    }

    /** anvil's dump is gzip'd JSON as hex; {@code --load-state} reads plain JSON. */
    private void writeState(String hexDump) throws IOException {
        String hex = hexDump.startsWith("0x") ? hexDump.substring(2) : hexDump;
        byte[] gz = HexFormat.of().parseHex(hex);
        Path dir = stateFile.getParent();
        Path temp = Files.createTempFile(
                dir,
                ".anvil-state-",
                ".part",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                    InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 1 << 16)) {
                OutputStream out = Channels.newOutputStream(channel);
                in.transferTo(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, stateFile, StandardCopyOption.REPLACE_EXISTING);
            }
            DurableFiles.forceDirectory(dir);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Optional<Mark> readMark() {
        if (!Files.exists(markFile)) return Optional.empty();
        try {
            JsonNode n = JSON.readTree(markFile.toFile());
            return Optional.of(new Mark(n.get("block").asLong(), n.get("hash").asText()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + markFile + ": " + e.getMessage(), e);
        }
    }

    private Mark head() throws IOException {
        JsonNode b = call("eth_getBlockByNumber", "latest", false);
        return new Mark(Long.decode(b.get("number").asText()), b.get("hash").asText());
    }

    private boolean chainHas(Mark m) throws IOException {
        JsonNode b = call("eth_getBlockByNumber", "0x" + Long.toHexString(m.block()), false);
        return b != null
                && !b.isNull()
                && m.hash().equalsIgnoreCase(b.get("hash").asText());
    }

    private JsonNode call(String method, Object... params) throws IOException {
        ArrayNode p = JSON.createArrayNode();
        for (Object o : params) p.addPOJO(o);
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode()
                .put("jsonrpc", "2.0")
                .put("id", 1)
                .put("method", method)
                .set("params", p));
        HttpRequest request = HttpRequest.newBuilder(rpc)
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        JsonNode r;
        try (InputStream in = response.body()) {
            r = JSON.readTree(in);
        }
        if (response.statusCode() != 200 || r.has("error")) {
            throw new IOException(method + " failed: HTTP " + response.statusCode() + " "
                    + (r.has("error") ? r.get("error").path("message").asText() : ""));
        }
        return r.get("result");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Mark d = durable;
        builder.withDetail("stateFile", stateFile.toString());
        if (d != null) builder.withDetail("durableBlock", d.block());
        if (lastSnapshotAt > 0) {
            builder.withDetail("lastSnapshotAgeMs", System.currentTimeMillis() - lastSnapshotAt)
                    .withDetail("lastSnapshotTookMs", lastSnapshotMillis)
                    .withDetail("idleRoundsSkipped", idleRounds);
        }
        long current = Math.max(lastSnapshotAt, lastIdleRoundAt); // a snapshot, or one found to hold everything
        if (rewritten != null) {
            builder.down().withDetail("error", rewritten);
        } else if (lastSnapshotAt == 0
                || System.currentTimeMillis() - current > 10 * Math.max(every.toMillis(), 9 * lastSnapshotMillis)) {
            builder.down()
                    .withDetail(
                            "error",
                            "no snapshot for " + (lastSnapshotAt == 0 ? "ever" : "over 10 rounds")
                                    + (lastError == null ? "" : ": " + lastError));
        } else {
            builder.up();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
            if (rewritten == null) snapshot(); // the last one, after the writer stopped (graceful stop only)
        } catch (IOException | RuntimeException e) {
            log.warn("embedded chain: final snapshot failed ({})", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
