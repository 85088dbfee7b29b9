package org.fhirledger.server.api;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.fhirledger.server.Application;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

@SpringBootTest(classes = Application.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ServerTestBase implements FhirServerUnderTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	static {
		CTX.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
		CTX.getRestfulClientFactory().setSocketTimeout(120_000);
	}

	@LocalServerPort
	int port;

	@Autowired
	JdbcTemplate jdbc;

	@Override
	public FhirContext ctx() {
		return CTX;
	}

	@Override
	public IGenericClient client() {
		return CTX.newRestfulGenericClient(baseUrl());
	}

	@Override
	public String baseUrl() {
		return "http://localhost:" + port + "/fhir";
	}

	@Override
	public long storedVersionCount() {
		return jdbc.queryForObject("select count(*) from HFJ_RES_VER", Long.class);
	}

	@Override
	public HttpResponse<String> send(String method, String path, String contentType, byte[] body) {
		HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(120));
		if (contentType != null) {
			b.header("Content-Type", contentType);
		}
		b.header("Accept", "application/fhir+json");
		b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
		try {
			return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(e);
		}
	}
}
