package org.fhirledger.server.proof;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.Application;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.testing.AnvilExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * {@code bin/bench VerifyBenchmark [resources] [every-entries] [verifies]} (defaults 500, 100, 2000): the server (H2)
 * on a private and a public anvil; creates the resources through the API, records each on the private chain, lets
 * the anchor job anchor every {@code every-entries}, then times {@code $verify} over HTTP (one client thread) and
 * prints p50/p99, entries per anchor and gas per anchor. Not a test.
 */
public final class VerifyBenchmark {

    public static void main(String[] args) throws Exception {
        int resources = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int everyEntries = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int verifies = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        AnvilExtension privateChain = AnvilExtension.create(31337, 1, 200_000_000);
        AnvilExtension publicChain = AnvilExtension.create(31338, null, 30_000_000);
        privateChain.start();
        publicChain.start();
        Path data = Files.createTempDirectory("verify-bench");
        ConfigurableApplicationContext ctx = null;
        try {
            ctx = new SpringApplicationBuilder(Application.class)
                    .run(
                            "--data-dir=" + data,
                            "--server.port=0",
                            "--ledger.enabled=true",
                            "--ledger.rpc-url=" + privateChain.rpcUrl(),
                            "--ledger.chain-id=31337",
                            "--anchor.enabled=true",
                            "--anchor.rpc-url=" + publicChain.rpcUrl(),
                            "--anchor.chain-id=31338",
                            "--anchor.gas-price=0",
                            "--anchor.every-entries=" + everyEntries,
                            "--anchor.every=1h",
                            "--anchor.follow-interval=200ms",
                            "--logging.level.root=WARN");
            String base = "http://localhost:"
                    + ((WebServerApplicationContext) ctx).getWebServer().getPort() + "/fhir";
            String token = DevTokens.mint(data, Role.CUSTODIAN, null);
            HttpClient http = HttpClient.newHttpClient();
            ObjectMapper json = new ObjectMapper();
            Pseudonyms p = ctx.getBean(Pseudonyms.class);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < resources; i++) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/Patient"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/fhir+json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"resourceType\":\"Patient\",\"gender\":\"female\","
                                                + "\"birthDate\":\"1970-01-01\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                String id = json.readTree(r.body()).get("id").asText();
                ids.add(id);
            }
            // the write pipeline records every version (and every AuditEvent, once the audit log's records are
            // materialised); the follower logs them. Drained before the timing, so the calls do not pay for the
            // creates' background work (the audit backlog included: an empty outbox alone is not a drained server)
            JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
            for (int i = 0; i < 1200; i++) {
                long audit = jdbc.queryForObject("select count(*) from fl_audit_record where done = false", Long.class);
                long open =
                        jdbc.queryForObject("select count(*) from fl_outbox where state <> 'CONFIRMED'", Long.class);
                long confirmed =
                        jdbc.queryForObject("select count(*) from fl_outbox where state = 'CONFIRMED'", Long.class);
                long leaves = jdbc.queryForObject("select count(*) from fl_ledger_leaf", Long.class);
                if (audit == 0 && open == 0 && leaves >= confirmed) break;
                Thread.sleep(100);
            }
            long leaves = jdbc.queryForObject("select count(*) from fl_ledger_leaf", Long.class);
            long anchoredTarget = (leaves / everyEntries) * (long) everyEntries;
            for (int i = 0; i < 600; i++) {
                Long size = jdbc.queryForObject("select max(tree_size) from fl_anchor", Long.class);
                if (size != null && size >= anchoredTarget) break;
                Thread.sleep(100);
            }
            // verify the versions inside the anchored tree
            List<String> anchoredIds = new ArrayList<>();
            for (String id : ids) {
                Long leaf = jdbc.query(
                        "select leaf_index from fl_ledger_leaf where resource = ? and lane = 'record'",
                        rs -> rs.next() ? rs.getLong(1) : null,
                        p.of("Patient/" + id).toHex());
                if (leaf != null && leaf < anchoredTarget) anchoredIds.add(id);
            }
            ids = anchoredIds;
            long[] nanos = new long[verifies];
            int verified = 0;
            for (int i = 0; i < verifies + 200; i++) { // the first 200 warm up
                String id = ids.get(i % ids.size());
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/Patient/" + id + "/_history/1/$verify"))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                long t = System.nanoTime() - t0;
                if (i >= 200) {
                    nanos[i - 200] = t;
                    if (r.body().contains("\"verified\"")) verified++;
                }
            }
            Arrays.sort(nanos);
            var anchors = jdbc.queryForList("select tree_size, gas_used from fl_anchor order by anchor_index");
            long prev = 0;
            List<Long> perAnchor = new ArrayList<>();
            List<Long> gas = new ArrayList<>();
            for (var a : anchors) {
                long size = ((Number) a.get("TREE_SIZE")).longValue();
                perAnchor.add(size - prev);
                prev = size;
                if (a.get("GAS_USED") != null) gas.add(((Number) a.get("GAS_USED")).longValue());
            }
            System.out.printf(
                    "resources %d, anchors %d, entries per anchor %s, gas per anchor %s%n",
                    resources, anchors.size(), perAnchor, gas);
            System.out.printf(
                    "$verify over HTTP (one client, %d calls, %d verified): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    verifies,
                    verified,
                    nanos[verifies / 2] / 1e6,
                    nanos[(int) (verifies * 0.99)] / 1e6,
                    nanos[verifies - 1] / 1e6);
        } finally {
            if (ctx != null) ctx.close();
            privateChain.shutdown();
            publicChain.shutdown();
        }
        System.exit(0);
    }
}
