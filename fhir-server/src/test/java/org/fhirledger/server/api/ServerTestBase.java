package org.fhirledger.server.api;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.AnvilExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A server on a real chain: one anvil for the whole test JVM (Spring caches contexts across test classes, so a
 * chain per class would be stopped under a cached context); each context deploys its own contracts in dev mode.
 */
@SpringBootTest(classes = Application.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ServerTestBase implements FhirServerUnderTest {

    @DynamicPropertySource
    static void chain(DynamicPropertyRegistry registry) {
        AnvilExtension anvil = SharedChain.anvil();
        registry.add("ledger.enabled", () -> "true");
        registry.add("ledger.rpc-url", anvil::rpcUrl);
        registry.add("ledger.chain-id", anvil::chainId);
        // a record whose AuditEvent could not be stored is tried again soon (the tests wait for that try)
        registry.add("audit.retry-backoff", () -> "200ms");
    }

    private static final FhirContext CTX = FhirContext.forR4Cached();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static {
        CTX.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
        CTX.getRestfulClientFactory().setSocketTimeout(120_000);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Value("${data-dir}")
    String dataDir;

    @Autowired
    org.springframework.context.ApplicationContext context;

    /** A bean of the server under test. */
    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    private String token;

    /** This server's data directory (where the dev issuer lives). */
    protected Path dataDir() {
        return Path.of(dataDir);
    }

    /**
     * The suites act as the institution's EHR system (CUSTODIAN: full access, still audited), with a dev token
     * from this server's own dev issuer; the role is assigned on chain as bin/dev-token does.
     */
    @Override
    public String bearerToken() {
        if (token == null) {
            token = DevTokens.mint(dataDir(), Role.CUSTODIAN, null);
        }
        return token;
    }

    @Override
    public FhirContext ctx() {
        return CTX;
    }

    @Override
    public IGenericClient client() {
        IGenericClient client = CTX.newRestfulGenericClient(baseUrl());
        client.registerInterceptor(new BearerTokenAuthInterceptor(bearerToken()));
        return client;
    }

    @Override
    public String baseUrl() {
        return "http://localhost:" + port + "/fhir";
    }

    @Override
    public long storedVersionCount() {
        // AuditEvents are written for every request, refused ones included: what a request stored is the rest
        return jdbc.queryForObject("select count(*) from HFJ_RES_VER where RES_TYPE <> 'AuditEvent'", Long.class);
    }

    @Override
    public HttpResponse<String> send(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return exchange(b, true);
    }

    @Override
    public HttpResponse<String> exchange(HttpRequest.Builder request, boolean authenticated) {
        request.timeout(Duration.ofSeconds(120)).header("Accept", "application/fhir+json");
        if (authenticated) {
            request.header("Authorization", "Bearer " + bearerToken());
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- requests as a chosen token's holder (the role tests)

    /** {@code |} in the path is encoded: FHIR token searches ({@code code=system|value}) are written with it. */
    protected HttpResponse<String> call(String method, String token, String path, String body) {
        return HttpProbe.request(
                method,
                baseUrl() + path.replace("|", URLEncoder.encode("|", StandardCharsets.UTF_8)),
                HttpProbe.bearer(token),
                body);
    }

    protected HttpResponse<String> get(String token, String path) {
        return call("GET", token, path, null);
    }

    protected HttpResponse<String> post(String token, String path, String body) {
        return call("POST", token, path, body);
    }

    protected HttpResponse<String> put(String token, String path, String body) {
        return call("PUT", token, path, body);
    }

    protected static JsonNode body(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(r.statusCode() + " " + r.body(), e);
        }
    }
}
