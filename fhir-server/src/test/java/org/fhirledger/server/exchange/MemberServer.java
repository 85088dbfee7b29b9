package org.fhirledger.server.exchange;

import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.testing.SharedChain;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.utils.Numeric;

/**
 * Another member's full server on the shared chain, beside a server A (RetrievalTest, ExchangeBenchmark): its key is
 * admitted to A's directory by governance, its custodian account enrols itself, and the server starts on its own H2
 * database and data directory with A's contracts file and the consortium key.
 */
final class MemberServer {

    private MemberServer() {}

    /**
     * Admits {@code key} as member {@code organization} to A's directory ({@code afterAdmission} runs right after,
     * e.g. to drop A's cached copy), enrols it as its own custodian and starts its server.
     */
    static PipelineServer start(
            Path aDataDir,
            Web3j web3j,
            InstitutionDirectory aDirectory,
            Credentials key,
            String organization,
            Runnable afterAdmission,
            String... extra)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String base = "http://localhost:" + port + "/fhir";
        TestConsortium.known(aDataDir, key);
        TestConsortium.admit(
                aDataDir,
                web3j,
                aDirectory,
                new Institution(key.getAddress(), organization, base, InstitutionKey.publicJwk(key)));
        afterAdmission.run();
        byte[] identity = new byte[32];
        new SecureRandom().nextBytes(identity);
        if (!TestConsortium.registryAs(aDataDir, web3j, key)
                .assignRole(key.getAddress(), BigInteger.valueOf(Role.CUSTODIAN.code()), identity)
                .send()
                .isStatusOK()) {
            throw new IllegalStateException("the member's custodian could not enrol itself");
        }
        Path dir = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "member-b-");
        Path chain = Files.createDirectories(dir.resolve("chain"));
        Files.copy(aDataDir.resolve("chain/contracts.json"), chain.resolve("contracts.json"));
        Path keyFile = chain.resolve("server-key.hex");
        Files.writeString(
                keyFile,
                Numeric.toHexStringWithPrefixZeroPadded(key.getEcKeyPair().getPrivateKey(), 64));
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--exchange.fhir-base-url=" + base,
                "--exchange.organization=" + organization,
                "--exchange.cache-ttl=0s",
                "--exchange.consortium-key-file=" + aDataDir.resolve("keys/consortium-key.hex")));
        args.addAll(List.of(extra));
        return PipelineServer.start(
                dir, SharedChain.anvil().rpcUrl(), SharedChain.anvil().chainId(), args.toArray(String[]::new));
    }
}
