package org.fhirledger.server.outbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.security.DevTokens;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/** The whole server (ledger on) as a Spring context in the test JVM, with a client holding a CUSTODIAN dev token. */
public final class PipelineServer implements AutoCloseable {

    public static final FhirContext CTX = FhirContext.forR4Cached();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static {
        CTX.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
        CTX.getRestfulClientFactory().setSocketTimeout(120_000);
    }

    public final ConfigurableApplicationContext ctx;
    public final Path dataDir;
    public final int port;
    private String token;

    private PipelineServer(ConfigurableApplicationContext ctx, Path dataDir) {
        this.ctx = ctx;
        this.dataDir = dataDir;
        this.port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
    }

    /** Base settings (overridable by {@code extra}): ledger on against {@code rpcUrl}, random port, health details. */
    public static List<String> args(Path dataDir, String rpcUrl, long chainId, String... extra) {
        List<String> a = new ArrayList<>(List.of(extra));
        for (String base : List.of(
                "--data-dir=" + dataDir,
                "--server.port=0",
                "--ledger.enabled=true",
                "--ledger.rpc-url=" + rpcUrl,
                "--ledger.chain-id=" + chainId,
                "--management.endpoint.health.show-details=always",
                "--outbox.poll-interval=100ms",
                // FHIR goes on through a chain outage only on cached authorisation answers (fail closed after
                // the TTL); these tests stop the chain for longer than the default
                "--authorization.cache-ttl=10m")) {
            String key = base.substring(0, base.indexOf('=') + 1);
            if (a.stream().noneMatch(e -> e.startsWith(key))) a.add(base);
        }
        return a;
    }

    public static PipelineServer start(Path dataDir, String rpcUrl, long chainId, String... extra) {
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Application.class)
                .run(args(dataDir, rpcUrl, chainId, extra).toArray(String[]::new));
        return new PipelineServer(ctx, dataDir);
    }

    public String token() {
        if (token == null) token = DevTokens.mint(dataDir, Role.CUSTODIAN, null);
        return token;
    }

    public String baseUrl() {
        return "http://localhost:" + port + "/fhir";
    }

    public IGenericClient client() {
        IGenericClient client = CTX.newRestfulGenericClient(baseUrl());
        client.registerInterceptor(new BearerTokenAuthInterceptor(token()));
        return client;
    }

    /** Every audit record committed so far is an AuditEvent (what an AuditEvent search would wait for). */
    public void catchUpAudits() {
        ctx.getBean(org.fhirledger.server.audit.AuditMaterialiser.class).catchUp();
    }

    public JdbcTemplate jdbc() {
        return ctx.getBean(OutboxStore.class).jdbc();
    }

    public Ledger ledger() {
        return ctx.getBean(Ledger.class);
    }

    public long backlog() {
        return ctx.getBean(OutboxStore.class).backlog().unconfirmed();
    }

    /**
     * Everything written so far is on chain: first every audit record committed so far is materialised (its
     * AuditEvent's access entry joins the outbox: an empty outbox alone is no drained server, the materialiser may not
     * have taken the last requests' records yet), then the outbox is confirmed.
     */
    public void awaitBacklogEmpty(Duration timeout) {
        ctx.getBeanProvider(org.fhirledger.server.audit.AuditMaterialiser.class)
                .ifAvailable(org.fhirledger.server.audit.AuditMaterialiser::catchUp);
        await(() -> backlog() == 0, timeout, "outbox backlog did not drain");
    }

    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(baseUrl() + path))
                            .header("Authorization", "Bearer " + token())
                            .header("Accept", "application/fhir+json")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public JsonNode health() {
        try {
            return JSON.readTree(HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static void await(BooleanSupplier condition, Duration timeout, String message) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError(message + " within " + timeout);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        ctx.close();
    }
}
