package org.fhirledger.server.exchange;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.FreePort;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Another member's full server on the shared chain, beside a server A (RetrievalTest, ImportWithProvenanceTest,
 * ExchangeBenchmark): its key is admitted to A's directory by governance, its custodian account enrols itself, and the
 * server starts on its own database and data directory with A's contracts file and the consortium key.
 */
final class MemberServer {

    /** The shared B's organization (its directory entry and its server's {@code exchange.organization}). */
    static final String ORGANIZATION = "urn:oid:2.16.840.1.113883.3.9999";

    private static final Map<Path, Member> SHARED = new ConcurrentHashMap<>();

    private MemberServer() {}

    /** A member server and what A's directory says of it. */
    record Member(Credentials key, Institution institution, PipelineServer server) {}

    /**
     * Member B of the server with this data directory: one per A and test JVM, started on first use on its own
     * PostgreSQL database (two institutions, two databases, one of each kind beside the H2 API suites' A), admitted and
     * enrolled; it stays a member and runs until the JVM ends. A class that removes it admits it again before it ends
     * ({@link #readmit}), so each class that uses it finds it as the first one did. Every class uses its own patients
     * and clinicians at B; A's directory entry (e.g. a proxy) is the class's to set and restore.
     */
    static synchronized Member shared(Path aDataDir, InstitutionDirectory aDirectory, ConsortiumView aView)
            throws Exception {
        Member member = SHARED.get(aDataDir);
        if (member != null) return member;
        Web3j web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        Credentials key = SecondMember.newAccount();
        List<String> extra = new ArrayList<>(onPostgres("member_b_"));
        extra.add("--exchange.retrieval.connect-timeout=2s");
        extra.add("--exchange.retrieval.request-timeout=20s");
        PipelineServer server =
                start(aDataDir, web3j, aDirectory, key, ORGANIZATION, aView::invalidate, extra.toArray(String[]::new));
        try (Connection c = server.jdbc().getDataSource().getConnection()) {
            String product = c.getMetaData().getDatabaseProductName();
            if (!"PostgreSQL".equals(product)) throw new IllegalStateException("B runs on " + product);
        }
        member = new Member(key, aDirectory.member(key.getAddress()).orElseThrow(), server);
        SHARED.put(aDataDir, member);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            web3j.shutdown();
        }));
        return member;
    }

    /** Admits the shared member again after a class removed it (its key, entry and roles are unchanged). */
    static void readmit(Path aDataDir, Web3j web3j, InstitutionDirectory aDirectory, ConsortiumView aView, Member b) {
        if (!aDirectory.isMember(b.key().getAddress())) {
            TestConsortium.admit(aDataDir, web3j, aDirectory, b.institution());
        }
        aView.invalidate();
    }

    /** Server arguments for a fresh database of its own on the test JVM's embedded PostgreSQL. */
    static List<String> onPostgres(String prefix) throws SQLException {
        String db = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("create database " + db);
        }
        return List.of(
                "--spring.datasource.url=" + PostgresInitializer.postgres().getJdbcUrl("postgres", db),
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=");
    }

    /**
     * Admits {@code key} as member {@code organization} to A's directory ({@code afterAdmission} runs right after,
     * e.g. to drop A's cached copy), enrols it as its own custodian and starts its server (on H2 unless {@code extra}
     * names another database).
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
        int port = FreePort.pick();
        String base = "http://localhost:" + port + "/fhir";
        TestConsortium.known(aDataDir, key);
        TestConsortium.admit(
                aDataDir,
                web3j,
                aDirectory,
                new Institution(key.getAddress(), organization, base, InstitutionKey.publicJwk(key)));
        afterAdmission.run();
        TestConsortium.assign(aDataDir, web3j, key, key.getAddress(), Role.CUSTODIAN);
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
