package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;
import static org.fhirledger.ledger.web3j.LedgerTestData.record;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.Role;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/** Review finding 11: a crashed predecessor's transactions that vanish from the pool must not stall the adapter. */
class Web3jLedgerGapTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    /** Any JSON-RPC answer. */
    public static final class AnyResponse extends Response<Object> {}

    private ChainFixture chain;
    private ContractAddresses contracts;

    @BeforeEach
    void setUp() {
        chain = new ChainFixture(anvil);
        LedgerDeployer admin = chain.deployer(0);
        contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
        admin.assignRole(contracts, chain.account(1).getAddress(), Role.CUSTODIAN, pseudonym("Organization/H"));
    }

    @AfterEach
    void tearDown() throws Exception {
        rpc("evm_setAutomine", true);
        chain.close();
    }

    private void rpc(String method, Object... params) throws Exception {
        AnyResponse r =
                new Request<>(method, List.of(params), new HttpService(anvil.rpcUrl()), AnyResponse.class).send();
        assertThat(r.hasError())
                .as("%s: %s", method, r.getError() == null ? "" : r.getError().getMessage())
                .isFalse();
    }

    private long nonce(DefaultBlockParameterName at) throws Exception {
        return chain.web3j
                .ethGetTransactionCount(chain.account(1).getAddress(), at)
                .send()
                .getTransactionCount()
                .longValueExact();
    }

    @Test
    void aPredecessorsTransactionsLostFromThePoolDoNotStallLaterOnes() throws Exception {
        rpc("evm_setAutomine", false);
        // the crashed predecessor left one transaction in the pool
        Credentials key = chain.account(1);
        long n = nonce(DefaultBlockParameterName.LATEST);
        byte[] signed = TransactionEncoder.signMessage(
                RawTransaction.createEtherTransaction(
                        BigInteger.valueOf(n),
                        BigInteger.ZERO,
                        BigInteger.valueOf(21_000),
                        key.getAddress(),
                        BigInteger.ZERO),
                anvil.chainId(),
                key);
        String hash = chain.web3j
                .ethSendRawTransaction(Numeric.toHexString(signed))
                .send()
                .getTransactionHash();
        assertThat(nonce(DefaultBlockParameterName.PENDING))
                .as("the pool counts it")
                .isEqualTo(n + 1);

        LedgerConfig config = LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withBatching(100, Duration.ofMillis(50));
        try (Web3jLedger ledger = Web3jLedger.connect(config, key)) { // starts at nonce n + 1
            rpc("anvil_dropTransaction", hash); // the pool loses it (node restart, eviction)
            rpc("evm_setAutomine", true);
            LedgerReceipt r =
                    ledger.appendRecord(record("Observation/after-gap", 1)).get(60, TimeUnit.SECONDS);
            assertThat(r.seq()).isZero();
            assertThat(nonce(DefaultBlockParameterName.LATEST)).isEqualTo(n + 2); // the filler and the batch
        }
    }
}
