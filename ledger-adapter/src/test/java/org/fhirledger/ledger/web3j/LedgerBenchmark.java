package org.fhirledger.ledger.web3j;

import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.Role;
import org.fhirledger.testing.AnvilExtension;

/**
 * Not a test: prints committed entries per second and gas per record entry for batch sizes 1, 10, 100, 500 on
 * anvil with 1-second blocks. Arguments: [blockGasLimit] (default 30000000, anvil's default).
 * Run: ./mvnw -q -pl ledger-adapter -am test-compile exec:java -Dexec.classpathScope=test
 *      -Dexec.mainClass=org.fhirledger.ledger.web3j.LedgerBenchmark -Dexec.args=30000000 -Dtools.dir=...
 * (exec:java needs -Dtools.dir passed as a system property: see docs/benchmarks.md for the exact command.)
 */
public final class LedgerBenchmark {
    private LedgerBenchmark() {}

    public static void main(String[] args) throws Exception {
        long gasLimit = args.length > 0 ? Long.parseLong(args[0]) : 30_000_000L;
        AnvilExtension anvil = AnvilExtension.create(1337, 1, gasLimit);
        anvil.start();
        try (ChainFixture chain = new ChainFixture(anvil)) {
            System.out.printf("anvil 1-second blocks, block gas limit %,d, gas price 0%n", gasLimit);
            System.out.printf("%6s %8s %12s %14s %10s%n", "batch", "entries", "entries/s", "gas/entry", "txs");
            for (int batch : new int[] {1, 10, 100, 500}) {
                int n = batch == 1 ? 500 : batch == 10 ? 3_000 : 10_000;
                run(chain, anvil, batch, n);
            }
        } finally {
            anvil.shutdown();
        }
    }

    private static void run(ChainFixture chain, AnvilExtension anvil, int batch, int n) throws Exception {
        LedgerDeployer admin = chain.deployer(0);
        ContractAddresses contracts = admin.deployPrivate(pseudonym("Practitioner/admin"));
        admin.assignRole(contracts, chain.account(1).getAddress(), Role.CUSTODIAN, pseudonym("Organization/H"));
        LedgerConfig config = LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withBatching(batch, Duration.ofMillis(20))
                .withMaxInFlight(64);
        try (Web3jLedger ledger = Web3jLedger.connect(config, chain.account(1))) {
            List<CompletableFuture<LedgerReceipt>> futures = new ArrayList<>(n);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                futures.add(ledger.appendRecord(LedgerTestData.record("Observation/b" + batch + "-" + i, 1)));
            }
            Set<String> txs = new HashSet<>();
            for (var f : futures) txs.add(f.get(10, TimeUnit.MINUTES).txHash());
            double seconds = (System.nanoTime() - start) / 1e9;
            BigInteger gas = BigInteger.ZERO;
            for (String tx : txs) {
                gas = gas.add(chain.web3j
                        .ethGetTransactionReceipt(tx)
                        .send()
                        .getTransactionReceipt()
                        .orElseThrow()
                        .getGasUsed());
            }
            System.out.printf("%6d %8d %12.0f %14.0f %10d%n", batch, n, n / seconds, gas.doubleValue() / n, txs.size());
        }
    }
}
