package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.OkHttpClient;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessLedger;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.AccessInfo;
import org.fhirledger.ledger.ChainCoordinates;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ConsentGrant;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerClosedException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerListener;
import org.fhirledger.ledger.LedgerOutage;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.LedgerUnavailableException;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.web3j.abi.datatypes.Address;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/** {@link Ledger} over Ethereum JSON-RPC with web3j: runs unchanged on anvil and on Besu. */
public final class Web3jLedger implements Ledger {
    private final LedgerConfig config;
    private final Web3j web3j;
    private final Credentials credentials;
    private final Rpc rpc;
    private final AccessRegistry registry;
    private final ConsentRegistry consent;
    private final RecordLane records;
    private final AccessLane accesses;
    private final Submitter submitter;
    private final EventPoller events;
    private final OkHttpClient http;
    private final NodeWatch watch;

    private Web3jLedger(
            LedgerConfig config,
            OkHttpClient http,
            Web3j web3j,
            Credentials credentials,
            long startNonce,
            long latestBlock) {
        this.config = config;
        this.http = http;
        this.web3j = web3j;
        this.credentials = credentials;
        // the probe answers within a couple of intervals or counts as failed (a hung node, not only a refused one)
        long probeMillis = Math.min(
                config.rpcTimeout().toMillis(), 2 * config.probeInterval().toMillis());
        Web3j probe = Web3j.build(new HttpService(
                config.rpcUrl(),
                http.newBuilder()
                        .callTimeout(probeMillis, TimeUnit.MILLISECONDS)
                        .build()));
        this.watch = new NodeWatch(
                "ledger-probe",
                () -> probe.ethBlockNumber().send().getBlockNumber(),
                config.probeInterval().toMillis());
        this.rpc = new Rpc(config, watch);
        ReadonlyTransactionManager reader = new ReadonlyTransactionManager(web3j, credentials.getAddress());
        StaticGasProvider noGas = new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO);
        ContractAddresses c = config.contracts();
        this.registry = AccessRegistry.load(c.accessRegistry(), web3j, reader, noGas);
        this.consent = ConsentRegistry.load(c.consentRegistry(), web3j, reader, noGas);
        this.records = new RecordLane(
                web3j,
                RecordLedger.load(c.recordLedger(), web3j, reader, noGas),
                c.fromBlock(),
                credentials.getAddress());
        this.accesses = new AccessLane(web3j, AccessLedger.load(c.accessLedger(), web3j, reader, noGas), c.fromBlock());
        records.maxLogsRange(config.maxLogsRange());
        accesses.maxLogsRange(config.maxLogsRange());
        this.submitter =
                new Submitter(web3j, credentials, config, List.of(records, accesses), BigInteger.valueOf(startNonce));
        this.events = new EventPoller(
                web3j, c, latestBlock, config.eventPollInterval().toMillis(), config.maxLogsRange());
        watch.start();
    }

    /**
     * Connects, checks the chain id and that the contracts exist, and starts the submitter.
     *
     * @throws ChainIdMismatchException when the node serves another chain
     * @throws LedgerUnavailableException when the node cannot be reached within unavailableTimeout
     */
    public static Web3jLedger connect(LedgerConfig config, Credentials credentials) {
        long timeout = config.rpcTimeout().toMillis();
        OkHttpClient http = new OkHttpClient.Builder()
                .socketFactory(new NoDelaySocketFactory())
                .connectTimeout(Math.min(timeout, 5000), TimeUnit.MILLISECONDS)
                .readTimeout(timeout, TimeUnit.MILLISECONDS)
                .callTimeout(timeout, TimeUnit.MILLISECONDS)
                .build();
        Web3j web3j = Web3j.build(new HttpService(config.rpcUrl(), http));
        try {
            Rpc rpc = new Rpc(config);
            long chainId = rpc.call(
                    "eth_chainId", () -> web3j.ethChainId().send().getChainId().longValueExact());
            if (chainId != config.chainId())
                throw new ChainIdMismatchException(config.chainId(), chainId, config.rpcUrl());
            ContractAddresses c = config.contracts();
            for (String[] named : new String[][] {
                {"AccessRegistry", c.accessRegistry()},
                {"ConsentRegistry", c.consentRegistry()},
                {"RecordLedger", c.recordLedger()},
                {"AccessLedger", c.accessLedger()}
            }) {
                String code = rpc.call(
                        "eth_getCode",
                        () -> web3j.ethGetCode(named[1], DefaultBlockParameterName.LATEST)
                                .send()
                                .getCode());
                if (code == null || code.equals("0x")) {
                    throw new LedgerException("no " + named[0] + " contract at " + named[1] + " on chain " + chainId);
                }
            }
            // PENDING counts this account's transactions still in the pool (e.g. from a crashed predecessor)
            long nonce = rpc.call(
                            "eth_getTransactionCount",
                            () -> web3j.ethGetTransactionCount(
                                            credentials.getAddress(), DefaultBlockParameterName.PENDING)
                                    .send()
                                    .getTransactionCount())
                    .longValueExact();
            long latest = rpc.call(
                            "eth_blockNumber",
                            () -> web3j.ethBlockNumber().send().getBlockNumber())
                    .longValueExact();
            return new Web3jLedger(config, http, web3j, credentials, nonce, latest);
        } catch (RuntimeException e) {
            web3j.shutdown();
            throw e;
        }
    }

    @Override
    public CompletableFuture<LedgerReceipt> appendRecord(RecordEntry entry) {
        return submitter.submit(records, entry);
    }

    @Override
    public CompletableFuture<LedgerReceipt> appendAccess(AccessEntry entry) {
        return submitter.submit(accesses, entry);
    }

    @Override
    public Optional<RecordInfo> findRecord(Bytes32 resource, long version) {
        return rpc.call("findRecord", () -> records.find(resource, version));
    }

    @Override
    public List<RecordInfo> recordHistory(Bytes32 resource) {
        return rpc.call("recordHistory", () -> records.history(resource));
    }

    @Override
    public List<AccessInfo> accessesOfPatient(Bytes32 patient) {
        return rpc.call("accessesOfPatient", () -> accesses.ofPatient(patient));
    }

    @Override
    public Optional<Bytes32> contentHashOf(Bytes32 resource, long version) {
        Bytes32 h = Bytes32.of(rpc.call("contentHashOf", () -> records.contentHashOf(resource, version)));
        return h.isZero() ? Optional.empty() : Optional.of(h);
    }

    @Override
    public java.util.Set<String> custodiansOfPatient(Bytes32 patient) {
        return rpc.call("custodiansOfPatient", () -> records.custodiansOf(patient));
    }

    @Override
    public List<RecordInfo> recordsOfPatient(String custodian, Bytes32 patient) {
        return rpc.call("recordsOfPatient", () -> records.recordsOf(custodian, patient));
    }

    @Override
    public Optional<Long> accessSeqOf(Bytes32 auditHash) {
        return rpc.call("accessOf", () -> accesses.seqOf(auditHash));
    }

    @Override
    public boolean hasRole(String account, Role role) {
        return rpc.call(
                "hasRole",
                () -> registry.hasRole(account, BigInteger.valueOf(role.code())).send());
    }

    @Override
    public java.util.Set<Role> rolesOf(String account) {
        BigInteger bits = rpc.call("rolesOf", () -> registry.rolesOf(account).send());
        java.util.EnumSet<Role> roles = java.util.EnumSet.noneOf(Role.class);
        for (Role r : Role.values()) {
            if (bits.testBit(r.code())) roles.add(r);
        }
        return roles;
    }

    @Override
    public LedgerReceipt assignRole(String account, Role role, Bytes32 identity) {
        String data = registry.assignRole(account, BigInteger.valueOf(role.code()), identity.toArray())
                .encodeFunctionCall();
        return direct("assignRole", config.contracts().accessRegistry(), data);
    }

    @Override
    public LedgerReceipt revokeRole(String account, Role role) {
        String data =
                registry.revokeRole(account, BigInteger.valueOf(role.code())).encodeFunctionCall();
        return direct("revokeRole", config.contracts().accessRegistry(), data);
    }

    @Override
    public Optional<Bytes32> identityOf(String account) {
        Bytes32 id = Bytes32.of(
                rpc.call("identityOf", () -> registry.identityOf(account).send()));
        return id.isZero() ? Optional.empty() : Optional.of(id);
    }

    @Override
    public Optional<String> institutionOf(String account) {
        String a =
                rpc.call("institutionOf", () -> registry.institutionOf(account).send());
        return a == null || Address.DEFAULT.toString().equals(a) ? Optional.empty() : Optional.of(a);
    }

    @Override
    public Optional<String> accountOf(Bytes32 identity) {
        String a = rpc.call(
                "accountOf", () -> registry.accountOf(identity.toArray()).send());
        return a == null || Address.DEFAULT.toString().equals(a) ? Optional.empty() : Optional.of(a);
    }

    @Override
    public boolean isPermitted(
            Bytes32 patient, String grantee, ConsentAction action, String resourceType, Instant time) {
        return rpc.call(
                "isPermitted",
                () -> consent.isPermitted(
                                patient.toArray(),
                                grantee,
                                BigInteger.valueOf(action.bit()),
                                BigInteger.valueOf(ResourceTypes.bitOf(resourceType)),
                                BigInteger.valueOf(time.getEpochSecond()))
                        .send());
    }

    @Override
    public ConsentGrant consentOf(Bytes32 patient, String grantee) {
        var t = rpc.call(
                "consentOf", () -> consent.consentOf(patient.toArray(), grantee).send());
        return t.component1().signum() == 0
                ? ConsentGrant.NONE
                : new ConsentGrant(
                        t.component1().intValueExact(),
                        t.component2(),
                        t.component3().longValueExact());
    }

    @Override
    public LedgerReceipt grantConsent(
            Bytes32 patient, String grantee, int actions, BigInteger resourceTypes, Instant expiry) {
        String data = consent.grant(
                        patient.toArray(),
                        grantee,
                        BigInteger.valueOf(actions),
                        resourceTypes,
                        BigInteger.valueOf(expiry.getEpochSecond()))
                .encodeFunctionCall();
        return direct("grantConsent", config.contracts().consentRegistry(), data);
    }

    @Override
    public LedgerReceipt revokeConsent(Bytes32 patient, String grantee) {
        String data = consent.revoke(patient.toArray(), grantee).encodeFunctionCall();
        return direct("revokeConsent", config.contracts().consentRegistry(), data);
    }

    /**
     * The consortium directory at that address, read and written through this ledger's node connection and
     * account (its writes share this account's nonce line).
     */
    public org.fhirledger.ledger.InstitutionDirectory institutionDirectory(String address) {
        var contract = org.fhirledger.contracts.generated.InstitutionDirectory.load(
                address,
                web3j,
                new ReadonlyTransactionManager(web3j, credentials.getAddress()),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        return new Web3jInstitutionDirectory(this, address, contract);
    }

    /**
     * The consortium's released data keys (KeyRelease) at that address, read and written through this ledger's node
     * connection and account.
     */
    public org.fhirledger.ledger.KeyReleaseLedger keyRelease(String address) {
        var contract = org.fhirledger.contracts.generated.KeyRelease.load(
                address,
                web3j,
                new ReadonlyTransactionManager(web3j, credentials.getAddress()),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        return new Web3jKeyRelease(this, web3j, address, contract);
    }

    <T> T view(String what, Rpc.Call<T> call) {
        return rpc.call(what, call);
    }

    LedgerReceipt sendDirect(String what, String to, String data, long gasLimit) {
        // a consent, role or directory change while the node is known down fails at once: nothing is queued or sent
        LedgerOutage o = watch.outage().orElse(null);
        if (o != null) {
            throw new LedgerUnavailableException(
                    what + ": node at " + config.rpcUrl() + " unreachable since " + o.since() + "; nothing was sent",
                    null);
        }
        return direct(submitter.submitDirect(to, data, gasLimit), what);
    }

    TransactionReceipt receiptOf(String txHash) throws java.io.IOException {
        return web3j.ethGetTransactionReceipt(txHash)
                .send()
                .getTransactionReceipt()
                .orElseThrow(() -> new LedgerException("no receipt for " + txHash));
    }

    private LedgerReceipt direct(String what, String to, String data) {
        return sendDirect(what, to, data, config.baseGas());
    }

    private LedgerReceipt direct(CompletableFuture<TransactionReceipt> f, String what) {
        try {
            TransactionReceipt r = f.get(config.receiptTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            return new LedgerReceipt(
                    -1, r.getTransactionHash(), r.getBlockNumber().longValueExact());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LedgerException le) throw le;
            throw new LedgerException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            // fail the future, so the submitter drops the call if it is still queued: it must not take effect
            // after the caller was told it failed. Once sent, the transaction may still be mined (message says so).
            LedgerUnavailableException ex = new LedgerUnavailableException(
                    what + ": no receipt within " + config.receiptTimeout()
                            + " (if it was sent, it may still be applied)",
                    e);
            if (f.completeExceptionally(ex)) throw ex;
            return direct(f, what); // completed meanwhile
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerException(what + " interrupted", e);
        }
    }

    @Override
    public AutoCloseable addListener(LedgerListener listener) {
        return events.add(listener);
    }

    @Override
    public String account() {
        return credentials.getAddress();
    }

    /** The contract addresses this adapter writes to (and the block their events are searched from). */
    public ContractAddresses contracts() {
        return config.contracts();
    }

    /** The private chain's JSON-RPC URL and chain id, as configured. */
    public String rpcUrl() {
        return config.rpcUrl();
    }

    public long chainId() {
        return config.chainId();
    }

    /** RPC URL, chain id and contract addresses, for code that names the chain without using the adapter. */
    public ChainCoordinates coordinates() {
        return new ChainCoordinates(config.rpcUrl(), config.chainId(), config.contracts());
    }

    /** The node's view of how many entries the record ledger holds (its next sequence number). */
    public long recordCount() {
        return rpc.call("nextSeq", () -> records.contract().nextSeq().send()).longValueExact();
    }

    @Override
    public Optional<LedgerOutage> outage() {
        return watch.outage();
    }

    /**
     * Drains for up to closeTimeout, or not at all when the node is known down: then queued and in-flight entries
     * fail at once (callers keep them, e.g. in the outbox) and calls still waiting on the node are cancelled, so a
     * shutdown never waits on a chain that is gone.
     */
    @Override
    public void close() {
        boolean down = watch.outage().isPresent();
        watch.close(); // reads stop retrying from here
        try {
            if (down) {
                http.dispatcher().cancelAll();
                submitter.abandon();
            } else {
                submitter.close();
            }
        } finally {
            events.close();
            web3j.shutdown();
        }
    }

    /**
     * Stops at once without waiting for receipts, as a crash would. Transactions already sent may still be
     * mined; their callers get {@link LedgerClosedException} and resubmit (idempotently) elsewhere.
     */
    public void abandon() {
        watch.close();
        try {
            submitter.abandon();
        } finally {
            events.close();
            web3j.shutdown();
        }
    }
}
