package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.ledger.Bytes32;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.LedgerConfig;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.Web3jLedger;
import org.fhirledger.server.Application;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.Role;
import org.fhirledger.server.testing.PostgresInitializer;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.web3j.crypto.Credentials;

/**
 * kill -9 of the server (a separate JVM) in the middle of a write load, restart on the same data directory and
 * PostgreSQL database: afterwards every committed version has exactly one ledger entry, with the content hash taken
 * at write. The database is the truth about what was committed (a request in flight when the process died may have
 * committed without its client hearing so).
 */
class CrashRecoveryTest {

	@RegisterExtension
	static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Test
	void afterKill9AndRestartEveryCommittedVersionIsOnTheLedgerExactlyOnce() throws Exception {
		String db = "crash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		try (Connection c = PostgresInitializer.postgres().getPostgresDatabase().getConnection();
				Statement s = c.createStatement()) {
			s.execute("create database " + db);
		}
		String jdbcUrl = PostgresInitializer.postgres().getJdbcUrl("postgres", db);
		Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "crash-");

		Process first = startServer(data, jdbcUrl, freePort());
		int port1 = portOf(first);
		String token = DevTokens.mint(data, Role.CUSTODIAN, null);
		AtomicInteger ok = new AtomicInteger();
		AtomicBoolean stop = new AtomicBoolean();
		ExecutorService load = Executors.newFixedThreadPool(4);
		for (int t = 0; t < 4; t++) load.submit(() -> writeLoad(port1, token, stop, ok));
		PipelineServer.await(() -> ok.get() >= 120, Duration.ofSeconds(120), "load under way");
		first.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful close of the ledger adapter
		first.waitFor(30, TimeUnit.SECONDS);
		stop.set(true);
		load.shutdown();
		load.awaitTermination(60, TimeUnit.SECONDS);

		JdbcTemplate jdbc = new JdbcTemplate(new DriverManagerDataSource(jdbcUrl, "postgres", ""));
		long unconfirmedAtCrash = jdbc.queryForObject("select count(*) from fl_outbox where state <> 'CONFIRMED'", Long.class);

		Process second = startServer(data, jdbcUrl, freePort());
		try {
			int port2 = portOf(second);
			AtomicBoolean stop2 = new AtomicBoolean();
			AtomicInteger ok2 = new AtomicInteger();
			writeLoadUntil(port2, token, stop2, ok2, 20);
			PipelineServer.await(() -> jdbc.queryForObject(
					"select count(*) from fl_outbox where state <> 'CONFIRMED'", Long.class) == 0,
					Duration.ofSeconds(120), "backlog drained after restart");

			List<Map<String, Object>> versions = jdbc.queryForList("select r.res_type, r.fhir_id, v.res_ver"
					+ " from hfj_res_ver v join hfj_resource r on r.res_id = v.res_id");
			Pseudonymizer pseudonyms = Pseudonymizer.fromDataDir(data);
			try (Web3jLedger ledger = readerOf(data)) {
				long records = 0;
				for (Map<String, Object> v : versions) {
					long version = ((Number) v.get("res_ver")).longValue();
					if ("AuditEvent".equals(v.get("res_type"))) {
						// the audit trail's events go to the access ledger, by their hash
						String auditHash = jdbc.queryForObject("select content_hash from fl_outbox where res_type = ?"
								+ " and res_id = ? and res_version = ?", String.class, v.get("res_type"), v.get("fhir_id"), version);
						assertThat(ledger.accessSeqOf(Bytes32.fromHex(auditHash))).as("AuditEvent on the access ledger: " + v)
								.isPresent();
						continue;
					}
					records++;
					Bytes32 resource = Bytes32.of(pseudonyms.pseudonym(v.get("res_type") + "/" + v.get("fhir_id")));
					RecordInfo info = ledger.findRecord(resource, version).orElseThrow(
							() -> new AssertionError("committed version without ledger entry: " + v));
					String writeHash = jdbc.queryForObject("select content_hash from fl_outbox where res_type = ?"
							+ " and res_id = ? and res_version = ?", String.class, v.get("res_type"), v.get("fhir_id"), version);
					assertThat(info.entry().contentHash().toHex()).isEqualTo(writeHash);
				}
				assertThat(ledger.recordCount()).as("no entry twice, none for an uncommitted version")
						.isEqualTo(records);
			}
			assertThat(versions.size()).isGreaterThan(ok.get() - 1);
			System.out.printf("crash test: %d committed versions, %d unconfirmed at the kill, %d acknowledged writes%n",
					versions.size(), unconfirmedAtCrash, ok.get() + ok2.get());
		} finally {
			second.destroy();
			second.waitFor(30, TimeUnit.SECONDS);
		}
	}

	private static Web3jLedger readerOf(Path data) throws Exception {
		JsonNode c = JSON.readTree(data.resolve("chain/contracts.json").toFile());
		ContractAddresses contracts = new ContractAddresses(c.get("accessRegistry").asText(),
				c.get("consentRegistry").asText(), c.get("recordLedger").asText(), c.get("accessLedger").asText(),
				c.get("fromBlock").asLong());
		Credentials server = Credentials.create(Files.readString(data.resolve("chain/server-key.hex")).trim());
		return Web3jLedger.connect(LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts), server);
	}

	private static void writeLoadUntil(int port, String token, AtomicBoolean stop, AtomicInteger ok, int count) {
		while (ok.get() < count) writeOne(port, token, ok);
	}

	private static void writeLoad(int port, String token, AtomicBoolean stop, AtomicInteger ok) {
		while (!stop.get()) {
			if (!writeOne(port, token, ok)) {
				try {
					Thread.sleep(50);
				} catch (InterruptedException e) {
					return;
				}
			}
		}
	}

	/** A Patient, a DiagnosticReport for it and an update of the Patient. */
	private static boolean writeOne(int port, String token, AtomicInteger ok) {
		try {
			String patient = post(port, token, "Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Crash\"}]}");
			if (patient == null) return false;
			ok.incrementAndGet();
			if (post(port, token, "DiagnosticReport", "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\","
					+ "\"code\":{\"text\":\"glucose\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"}}") != null) {
				ok.incrementAndGet();
			}
			HttpResponse<String> u = HTTP.send(request(port, token, "Patient/" + patient).PUT(HttpRequest.BodyPublishers.ofString(
					"{\"resourceType\":\"Patient\",\"id\":\"" + patient + "\",\"name\":[{\"family\":\"Crash2\"}]}")).build(),
					HttpResponse.BodyHandlers.ofString());
			if (u.statusCode() == 200) ok.incrementAndGet();
			return true;
		} catch (Exception e) {
			return false;
		}
	}

	private static String post(int port, String token, String type, String body) throws Exception {
		HttpResponse<String> r = HTTP.send(request(port, token, type).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
				HttpResponse.BodyHandlers.ofString());
		if (r.statusCode() != 201) return null;
		return JSON.readTree(r.body()).get("id").asText();
	}

	private static HttpRequest.Builder request(int port, String token, String path) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/fhir/" + path))
				.timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/fhir+json").header("Accept", "application/fhir+json");
	}

	private static final Map<Process, Integer> PORTS = new java.util.concurrent.ConcurrentHashMap<>();

	private static int portOf(Process p) {
		return PORTS.get(p);
	}

	private static Process startServer(Path data, String jdbcUrl, int port) throws Exception {
		Path log = data.resolve("server-" + port + ".log");
		// the child JVM gets this JVM's classpath (under surefire a manifest-only jar that names every entry)
		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xmx768m", "-cp", System.getProperty("java.class.path"), Application.class.getName()));
		cmd.addAll(PipelineServer.args(data, anvil.rpcUrl(), anvil.chainId(), "--server.port=" + port,
				"--spring.datasource.url=" + jdbcUrl, "--spring.datasource.username=postgres",
				"--spring.datasource.password="));
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		PORTS.put(p, port);
		long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
		while (System.nanoTime() < end) {
			if (!p.isAlive()) throw new AssertionError("server exited during start-up; see " + log);
			try {
				HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(
						"http://localhost:" + port + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
				if (r.statusCode() == 200) return p;
			} catch (Exception e) {
				// not yet listening
			}
			Thread.sleep(500);
		}
		p.destroyForcibly();
		throw new AssertionError("server did not become ready; see " + log);
	}

	private static int freePort() throws Exception {
		try (ServerSocket s = new ServerSocket(0)) {
			return s.getLocalPort();
		}
	}
}
