package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.fhirledger.anchor.AnchorTestChains;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.LocalContentStore;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.testing.AnvilExtension;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node loses its latest blocks (a restart from its snapshot, here anvil's evm_revert) after it gave the writer a
 * receipt but before the writer confirmed the row: the loss is handled while the row is not yet CONFIRMED, so its own
 * look misses the row. The writer must notice that a loss came between the chain's answer and its confirmation, ask
 * again and record the entry again, never leave a row CONFIRMED for an entry the chain does not hold.
 */
class ConfirmationAcrossChainLossTest {

    @RegisterExtension
    static final AnvilExtension chain = AnvilExtension.automine();

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aReceiptFromBeforeALossIsCheckedAgainAndTheEntryRecordedAgain() throws Exception {
        ContractAddresses contracts = AnchorTestChains.deployPrivate(chain);
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:mem:loss-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        OutboxStore store = new OutboxStore(db);
        store.createSchema();
        Path content = Files.createTempDirectory("loss-content");
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CountDownLatch receipt = new CountDownLatch(1);
        AtomicReference<LedgerWriter> writerRef = new AtomicReference<>();
        try (Web3jLedger real = Web3jLedger.connect(
                LedgerConfig.builder(chain.rpcUrl(), chain.chainId(), contracts)
                        .batching(1, Duration.ofMillis(5))
                        .build(),
                chain.credentials(0))) {
            LostEntries lost =
                    new LostEntries(store, real, real, () -> writerRef.get().wake());
            LedgerWriter writer = new LedgerWriter(
                    store,
                    heldBack(real, gate, receipt),
                    new LocalContentStore(content, 1 << 20),
                    WriterLock.forAccount(db, false, real.account()),
                    new OutboxProperties(
                            Duration.ofMillis(50),
                            null,
                            null,
                            1,
                            Duration.ofMillis(100),
                            Duration.ofMillis(500),
                            null,
                            null),
                    lost,
                    (row, r) -> {});
            writerRef.set(writer);
            Bytes32 first = sha("Patient/first");
            store.insert(
                    OutboxRow.Kind.RECORD,
                    "Patient",
                    "first",
                    1,
                    first,
                    first,
                    sha("first v1"),
                    "ciphertext 1".getBytes(StandardCharsets.UTF_8),
                    null);
            String beforeTheEntry = rpc("evm_snapshot");
            writer.start();
            try {
                assertThat(receipt.await(30, TimeUnit.SECONDS))
                        .as("the node mined the entry and answered its receipt")
                        .isTrue();
                assertThat(real.contentHashOf(first, 1)).contains(sha("first v1"));

                // the node comes back without the block; the loss is handled before the writer confirms
                assertThat(rpc("evm_revert", beforeTheEntry)).isEqualTo("true");
                assertThat(real.contentHashOf(first, 1)).isEmpty();
                lost.blocksLostAbove(0);
                assertThat(state(store, "first"))
                        .as("not yet confirmed: the loss's look cannot see it")
                        .isNotEqualTo("CONFIRMED");

                gate.complete(null); // the writer now confirms from the receipt of the lost block
                PipelineServer.await(
                        () -> real.contentHashOf(first, 1).isPresent() && "CONFIRMED".equals(state(store, "first")),
                        Duration.ofSeconds(30),
                        "the entry recorded again on the chain that lost it");
                assertThat(recordedAgain(store, "first")).isEqualTo(1);

                // no loss in between: confirmed once, nothing recorded again; a loss that took nothing reopens nothing
                Bytes32 second = sha("Patient/second");
                store.insert(
                        OutboxRow.Kind.RECORD,
                        "Patient",
                        "second",
                        1,
                        second,
                        second,
                        sha("second v1"),
                        "ciphertext 2".getBytes(StandardCharsets.UTF_8),
                        null);
                writer.wake();
                PipelineServer.await(
                        () -> "CONFIRMED".equals(state(store, "second")),
                        Duration.ofSeconds(30),
                        "the second entry confirmed");
                assertThat(real.contentHashOf(second, 1)).contains(sha("second v1"));
                assertThat(recordedAgain(store, "second")).isZero();
                lost.blocksLostAbove(0);
                assertThat(recordedAgain(store, "first")).isEqualTo(1);
                assertThat(recordedAgain(store, "second")).isZero();
            } finally {
                writer.stop();
            }
        }
    }

    /** The real ledger, whose record receipts reach the writer only once {@code gate} opens. */
    private static Ledger heldBack(Ledger real, CompletableFuture<Void> gate, CountDownLatch receipt) {
        return (Ledger) Proxy.newProxyInstance(
                Ledger.class.getClassLoader(), new Class<?>[] {Ledger.class}, (p, m, a) -> {
                    Object result;
                    try {
                        result = m.invoke(real, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!m.getName().equals("appendRecord")) return result;
                    CompletableFuture<?> answered = (CompletableFuture<?>) result;
                    answered.whenComplete((r, e) -> receipt.countDown());
                    return answered.thenCompose(r -> gate.thenApply(v -> r));
                });
    }

    private static String state(OutboxStore store, String id) {
        return store.jdbc().queryForObject("select state from fl_outbox where res_id = ?", String.class, id);
    }

    private static int recordedAgain(OutboxStore store, String id) {
        return store.jdbc().queryForObject("select recorded_again from fl_outbox where res_id = ?", Integer.class, id);
    }

    private static String rpc(String method, String... params) throws Exception {
        StringBuilder p = new StringBuilder();
        for (String s : params)
            p.append(p.length() == 0 ? "" : ",").append('"').append(s).append('"');
        String body = HTTP.send(
                        HttpRequest.newBuilder(URI.create(chain.rpcUrl()))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\""
                                        + method + "\",\"params\":[" + p + "]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return body.replaceAll(".*\"result\":\"?([^\",}]+)\"?.*", "$1");
    }

    private static Bytes32 sha(String s) throws Exception {
        return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
