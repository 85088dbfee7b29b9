package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.testing.AnvilExtension;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/** Test helpers on a running anvil: accounts, transaction managers, and "which named error would this raise". */
final class ChainFixture implements AutoCloseable {
    /** AccessRegistry without a consortium directory: one institution, the deployer's. */
    static final String NO_DIRECTORY = "0x0000000000000000000000000000000000000000";

    static final StaticGasProvider GAS = new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(8_000_000));

    final AnvilExtension anvil;
    final Web3j web3j;

    ChainFixture(AnvilExtension anvil) {
        this.anvil = anvil;
        this.web3j = Web3j.build(new HttpService(anvil.rpcUrl()));
    }

    Credentials account(int i) {
        return anvil.credentials(i);
    }

    TransactionManager tx(int account) {
        return new RawTransactionManager(
                web3j, account(account), anvil.chainId(), new PollingTransactionReceiptProcessor(web3j, 50, 1200));
    }

    LedgerDeployer deployer(int account) {
        return new LedgerDeployer(web3j, account(account), anvil.chainId(), BigInteger.ZERO);
    }

    /** The named custom error the call would revert with when sent by `from`, or null if it would succeed. */
    String revertOf(int from, String contract, RemoteFunctionCall<?> call) throws Exception {
        EthCall r = web3j.ethCall(
                        Transaction.createEthCallTransaction(
                                account(from).getAddress(), contract, call.encodeFunctionCall()),
                        DefaultBlockParameterName.LATEST)
                .send();
        if (!r.hasError() && !r.isReverted()) return null;
        return ContractErrors.decode(r.getError() == null ? null : r.getError().getData())
                .name();
    }

    /** Asserts the call reverts with exactly that named error. */
    void assertReverts(int from, String contract, RemoteFunctionCall<?> call, String error) throws Exception {
        assertThat(revertOf(from, contract, call))
                .as("revert of call from account %d", from)
                .isEqualTo(error);
    }

    /** Sends the call without simulating first, so a refused call is mined as a failed transaction. */
    TransactionReceipt sendUnchecked(int from, String contract, RemoteFunctionCall<?> call) throws Exception {
        var sent = tx(from).sendTransaction(
                        BigInteger.ZERO,
                        BigInteger.valueOf(1_000_000),
                        contract,
                        call.encodeFunctionCall(),
                        BigInteger.ZERO);
        assertThat(sent.hasError())
                .as(
                        "node accepted the transaction: %s",
                        sent.getError() == null ? "" : sent.getError().getMessage())
                .isFalse();
        return new PollingTransactionReceiptProcessor(web3j, 50, 1200)
                .waitForTransactionReceipt(sent.getTransactionHash());
    }

    /** Calls an anvil-specific RPC method such as evm_setIntervalMining. */
    void anvilRpc(String method, Object... params) throws Exception {
        var r = new org.web3j.protocol.core.Request<>(
                        method,
                        java.util.List.of(params),
                        new HttpService(anvil.rpcUrl()),
                        org.web3j.protocol.core.methods.response.VoidResponse.class)
                .send();
        assertThat(r.hasError())
                .as(
                        "%s failed: %s",
                        method, r.getError() == null ? "" : r.getError().getMessage())
                .isFalse();
    }

    static TransactionReceipt ok(RemoteFunctionCall<TransactionReceipt> call) throws Exception {
        TransactionReceipt r = call.send();
        assertThat(r.isStatusOK())
                .as("transaction %s succeeded", r.getTransactionHash())
                .isTrue();
        return r;
    }

    /** A keyed-hash stand-in for a pseudonym in tests: SHA-256 of a label. */
    static Bytes32 pseudonym(String label) {
        try {
            return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] b32(String label) {
        return pseudonym(label).toArray();
    }

    @Override
    public void close() {
        web3j.shutdown();
    }
}
