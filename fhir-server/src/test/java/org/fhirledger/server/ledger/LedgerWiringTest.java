package org.fhirledger.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.fhirledger.files.OwnerOnlyFiles;
import org.fhirledger.ledger.ChainIdMismatchException;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.datadir.DataDirConfig;
import org.fhirledger.server.security.SecurityProperties;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.web3j.crypto.WalletUtils;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;

/** The server against a real anvil (gas price and base fee 0, the dev server key is never funded). */
class LedgerWiringTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    private String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of(extra));
        for (String base : List.of(
                "--data-dir=" + data,
                "--server.port=0",
                "--ledger.enabled=true",
                "--ledger.rpc-url=" + anvil.rpcUrl(),
                "--ledger.chain-id=" + anvil.chainId(),
                "--management.endpoint.health.show-details=always")) {
            String key = base.substring(0, base.indexOf('=') + 1);
            if (a.stream().noneMatch(e -> e.startsWith(key))) a.add(base);
        }
        return a.toArray(String[]::new);
    }

    @Test
    void devFirstStartDeploysAndASecondStartReusesTheContracts() throws Exception {
        Path contracts = data.resolve("chain/contracts.json");
        Path key = data.resolve("chain/server-key.hex");
        String account;
        String firstFile;
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Application.class).run(args())) {
            Ledger ledger = ctx.getBean(Ledger.class);
            account = ledger.account();
            assertThat(ledger.hasRole(account, Role.CUSTODIAN)).isTrue();
            assertThat(ledger.hasRole(account, Role.ADMIN)).isTrue();
            assertThat(contracts).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())))
                    .isEqualTo("rwx------");
            firstFile = Files.readString(contracts);

            int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
            JsonNode health = health(port);
            assertThat(health.at("/status").asText()).isEqualTo("UP");
            assertThat(health.at("/components/ledger/status").asText()).isEqualTo("UP");
            assertThat(health.at("/components/ledger/details/chainId").asLong()).isEqualTo(31337);
            assertThat(health.at("/components/ledger/details/account").asText()).isEqualToIgnoringCase(account);
            assertThat(health.at("/components/ledger/details/latestBlock").isNumber())
                    .isTrue();

            anvil.stop();
            try {
                JsonNode down = health(port);
                assertThat(down.at("/components/ledger/status").asText()).isEqualTo("DOWN");
                assertThat(down.at("/status").asText()).isEqualTo("DOWN");
                // readiness does not include the ledger: the FHIR API stays in service
                assertThat(get(port, "/actuator/health/readiness").statusCode()).isEqualTo(200);
            } finally {
                anvil.start();
            }
            assertThat(health(port).at("/components/ledger/status").asText()).isEqualTo("UP");
        }

        long nonce = nonce(account);
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Application.class).run(args())) {
            Ledger ledger = ctx.getBean(Ledger.class);
            assertThat(ledger.account()).isEqualTo(account);
            assertThat(ledger.hasRole(account, Role.CUSTODIAN)).isTrue();
        }
        assertThat(Files.readString(contracts)).isEqualTo(firstFile);
        assertThat(nonce(account)).as("no second deployment").isEqualTo(nonce);
    }

    @Test
    void wrongChainIdStopsStartUp() {
        assertThatThrownBy(() -> startWiringOnly("--ledger.chain-id=4242"))
                .hasRootCauseInstanceOf(ChainIdMismatchException.class)
                .rootCause()
                .hasMessageContaining("chain id 31337")
                .hasMessageContaining("4242");
    }

    @Test
    void contractsFileWithoutCodeStopsStartUp() throws Exception {
        Path file = data.resolve("chain/contracts.json");
        OwnerOnlyFiles.createDirectory(file.getParent());
        String nowhere = "0x00000000000000000000000000000000000000aa";
        Files.writeString(
                file,
                "{\"chainId\":31337,\"accessRegistry\":\"" + nowhere + "\",\"consentRegistry\":\"" + nowhere
                        + "\",\"recordLedger\":\"" + nowhere + "\",\"accessLedger\":\"" + nowhere
                        + "\",\"fromBlock\":0}");
        assertThatThrownBy(() -> startWiringOnly())
                .rootCause()
                .hasMessageContaining("no AccessRegistry contract at " + nowhere);
    }

    @Test
    void productionWithoutContractsFileStopsStartUp() throws Exception {
        String name = WalletUtils.generateLightNewWalletFile("secret", data.toFile());
        assertThatThrownBy(() -> startWiringOnly(
                        "--security.mode=production",
                        "--security.jwk-set-uri=http://127.0.0.1:1/jwks",
                        "--ledger.key-file=" + data.resolve(name),
                        "--ledger.key-password=secret"))
                .rootCause()
                .hasMessageContaining("contracts.json does not exist")
                .hasMessageContaining("production mode");
        assertThat(data.resolve("chain/contracts.json")).doesNotExist();
    }

    /** Only the ledger feature (no HAPI, no web server): start-up failures show quickly. */
    private ConfigurableApplicationContext startWiringOnly(String... extra) {
        return new SpringApplicationBuilder(WiringOnly.class)
                .web(WebApplicationType.NONE)
                .run(args(extra));
    }

    @Configuration
    @EnableConfigurationProperties(SecurityProperties.class)
    @Import({DataDirConfig.class, LedgerWiringConfig.class})
    static class WiringOnly {}

    private static long nonce(String account) throws Exception {
        Web3j web3j = Web3j.build(new HttpService(anvil.rpcUrl()));
        try {
            return web3j.ethGetTransactionCount(account, DefaultBlockParameterName.LATEST)
                    .send()
                    .getTransactionCount()
                    .longValueExact();
        } finally {
            web3j.shutdown();
        }
    }

    private static JsonNode health(int port) throws Exception {
        return JSON.readTree(get(port, "/actuator/health").body());
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
