package org.fhirledger.anchor.web3j;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.fhirledger.anchor.Anchor;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.AnchorChainUnavailableException;
import org.fhirledger.anchor.AnchorReceipt;
import org.fhirledger.anchor.AnchorRefusedException;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.web3j.ContractErrors;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.ClientConnectionException;
import org.web3j.protocol.exceptions.TransactionException;
import org.web3j.protocol.http.HttpService;
import org.web3j.tuples.generated.Tuple3;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

/**
 * {@link AnchorChain} over JSON-RPC with web3j: any EVM chain (a second anvil locally, Ethereum or an L2 in
 * production). Read-only without credentials (the standalone verifier); with credentials it can publish, as
 * legacy EIP-155 transactions at the configured gas price (or the node's {@code eth_gasPrice}).
 */
public final class Web3jAnchorChain implements AnchorChain {
    private static final String ANCHOR_TOPIC = EventEncoder.encode(AnchorRegistry.ANCHORAPPENDED_EVENT);

    /** Settings; {@code gasPrice} null = ask the node, {@code fromBlock} = the registry's deployment block. */
    public record Config(
            String rpcUrl,
            long chainId,
            String registry,
            long fromBlock,
            BigInteger gasPrice,
            BigInteger gasLimit,
            Duration receiptTimeout,
            long maxLogsRange) {
        public static Config readOnly(String rpcUrl, long chainId, String registry) {
            return new Config(
                    rpcUrl, chainId, registry, 0, null, BigInteger.valueOf(200_000), Duration.ofMinutes(2), 1000);
        }
    }

    private final Config config;
    private final Web3j web3j;
    private final Credentials credentials; // null: read-only
    private final AnchorRegistry registry;

    private Web3jAnchorChain(Config config, Web3j web3j, Credentials credentials) {
        this.config = config;
        this.web3j = web3j;
        this.credentials = credentials;
        String from = credentials == null ? "0x0000000000000000000000000000000000000000" : credentials.getAddress();
        this.registry = AnchorRegistry.load(
                config.registry(),
                web3j,
                new ReadonlyTransactionManager(web3j, from),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
    }

    /**
     * Connects and checks the chain id and that the registry has code.
     *
     * @param credentials the anchorer's key, or null for a read-only view
     * @throws ChainIdMismatchException when the node serves another chain
     * @throws AnchorChainUnavailableException when the node does not answer
     */
    public static Web3jAnchorChain connect(Config config, Credentials credentials) {
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(5, TimeUnit.SECONDS)
                .readTimeout(30, TimeUnit.SECONDS)
                .build();
        Web3j web3j = Web3j.build(new HttpService(config.rpcUrl(), http));
        try {
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            if (chainId != config.chainId())
                throw new ChainIdMismatchException(config.chainId(), chainId, config.rpcUrl());
            String code = web3j.ethGetCode(config.registry(), DefaultBlockParameterName.LATEST)
                    .send()
                    .getCode();
            if (code == null || code.equals("0x")) {
                throw new IllegalStateException(
                        "no AnchorRegistry contract at " + config.registry() + " on chain " + chainId);
            }
            return new Web3jAnchorChain(config, web3j, credentials);
        } catch (IOException | ClientConnectionException e) {
            web3j.shutdown();
            throw new AnchorChainUnavailableException("public chain at " + config.rpcUrl() + " unreachable: " + e, e);
        } catch (RuntimeException e) {
            web3j.shutdown();
            throw e;
        }
    }

    @Override
    public long chainId() {
        return config.chainId();
    }

    @Override
    public String registryAddress() {
        return config.registry();
    }

    @Override
    public long anchorCount() {
        return read("anchorCount", () -> registry.anchorCount().send()).longValueExact();
    }

    @Override
    public Optional<Anchor> latest() {
        long count = anchorCount();
        return count == 0 ? Optional.empty() : Optional.of(anchorAt(count - 1));
    }

    @Override
    public Anchor anchorAt(long index) {
        Tuple3<BigInteger, BigInteger, byte[]> a = read(
                "anchorAt", () -> registry.anchorAt(BigInteger.valueOf(index)).send());
        return new Anchor(
                index,
                a.component1().longValueExact(),
                Bytes32.of(a.component3()),
                a.component2().longValueExact());
    }

    @Override
    public Optional<AnchorReceipt> receiptOf(long index) {
        return read("eth_getLogs", () -> {
            long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            String indexTopic = Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(index), 64);
            // newest first: the anchors a verifier asks about are usually recent
            for (long end = latest; end >= config.fromBlock(); end -= config.maxLogsRange()) {
                long start = Math.max(config.fromBlock(), end - config.maxLogsRange() + 1);
                EthFilter filter = new EthFilter(
                        DefaultBlockParameter.valueOf(BigInteger.valueOf(start)),
                        DefaultBlockParameter.valueOf(BigInteger.valueOf(end)),
                        config.registry());
                filter.addSingleTopic(ANCHOR_TOPIC).addSingleTopic(indexTopic);
                EthLog logs = web3j.ethGetLogs(filter).send();
                if (logs.hasError())
                    throw new IOException("eth_getLogs: " + logs.getError().getMessage());
                for (EthLog.LogResult<?> r : logs.getLogs()) {
                    Log log = (Log) r.get();
                    if (log.isRemoved()) continue;
                    AnchorRegistry.AnchorAppendedEventResponse e = AnchorRegistry.getAnchorAppendedEventFromLog(log);
                    Anchor a = anchorAt(index);
                    if (e.treeSize.longValueExact() != a.treeSize()
                            || !Bytes32.of(e.root).equals(a.root())) continue;
                    return Optional.of(new AnchorReceipt(
                            a, log.getTransactionHash(), log.getBlockNumber().longValueExact(), -1));
                }
            }
            return Optional.<AnchorReceipt>empty();
        });
    }

    @Override
    public AnchorReceipt publish(long treeSize, Bytes32 root) {
        if (credentials == null) throw new IllegalStateException("read-only anchor chain: no anchorer key");
        String data = FunctionEncoder.encode(new Function(
                AnchorRegistry.FUNC_ANCHOR,
                List.of(new Uint64(treeSize), new org.web3j.abi.datatypes.generated.Bytes32(root.toArray())),
                List.of()));
        try {
            EthCall sim = web3j.ethCall(
                            Transaction.createEthCallTransaction(credentials.getAddress(), config.registry(), data),
                            DefaultBlockParameterName.LATEST)
                    .send();
            if (sim.hasError() || sim.isReverted()) {
                String revertData =
                        sim.getError() == null ? sim.getValue() : sim.getError().getData();
                String name = ContractErrors.errorName(revertData);
                String message = sim.getError() == null
                        ? ""
                        : String.valueOf(sim.getError().getMessage());
                if (!name.equals("UnknownRevert")
                        || message.toLowerCase(Locale.ROOT).contains("revert")
                        || (sim.getError() != null && sim.getError().getCode() == 3)) {
                    throw new AnchorRefusedException(name, "AnchorRegistry refused anchor(" + treeSize + ")");
                }
                throw new IOException("eth_call: " + message);
            }
            BigInteger gasPrice = config.gasPrice() != null
                    ? config.gasPrice()
                    : web3j.ethGasPrice().send().getGasPrice();
            long attempts = Math.max(1, config.receiptTimeout().toMillis() / 200);
            RawTransactionManager tx = new RawTransactionManager(
                    web3j, credentials, config.chainId(), new PollingTransactionReceiptProcessor(web3j, 200, (int)
                            Math.min(Integer.MAX_VALUE, attempts)));
            EthSendTransaction sent =
                    tx.sendTransaction(gasPrice, config.gasLimit(), config.registry(), data, BigInteger.ZERO);
            if (sent.hasError())
                throw new IOException(
                        "eth_sendRawTransaction: " + sent.getError().getMessage());
            TransactionReceipt r = new PollingTransactionReceiptProcessor(
                            web3j, 200, (int) Math.min(Integer.MAX_VALUE, attempts))
                    .waitForTransactionReceipt(sent.getTransactionHash());
            if (!r.isStatusOK()) {
                throw new AnchorRefusedException(
                        "Reverted", "anchor transaction " + r.getTransactionHash() + " reverted");
            }
            for (Log log : r.getLogs()) {
                if (!log.getAddress().equalsIgnoreCase(config.registry())
                        || !ANCHOR_TOPIC.equals(log.getTopics().get(0))) {
                    continue;
                }
                AnchorRegistry.AnchorAppendedEventResponse e = AnchorRegistry.getAnchorAppendedEventFromLog(log);
                Anchor a = new Anchor(
                        e.index.longValueExact(), e.treeSize.longValueExact(), Bytes32.of(e.root), timestampOf(r));
                return new AnchorReceipt(
                        a,
                        r.getTransactionHash(),
                        r.getBlockNumber().longValueExact(),
                        r.getGasUsed().longValueExact());
            }
            throw new IllegalStateException(
                    "anchor receipt " + r.getTransactionHash() + " has no AnchorAppended event");
        } catch (AnchorRefusedException | IllegalStateException e) {
            throw e;
        } catch (IOException | ClientConnectionException | TransactionException e) {
            throw new AnchorChainUnavailableException(
                    "publishing anchor(" + treeSize + ") on " + config.rpcUrl() + " failed: " + e.getMessage(), e);
        }
    }

    private long timestampOf(TransactionReceipt r) throws IOException {
        return web3j.ethGetBlockByHash(r.getBlockHash(), false)
                .send()
                .getBlock()
                .getTimestamp()
                .longValueExact();
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private <T> T read(String what, Call<T> call) {
        try {
            return call.run();
        } catch (IOException | ClientConnectionException e) {
            throw new AnchorChainUnavailableException(
                    what + " on the public chain at " + config.rpcUrl() + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
    }
}
