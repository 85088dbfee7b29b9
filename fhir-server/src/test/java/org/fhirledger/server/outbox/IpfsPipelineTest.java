package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fhirledger.content.Cid;
import org.fhirledger.content.KuboConfig;
import org.fhirledger.content.KuboContentStore;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.FileDataKeyStore;
import org.fhirledger.crypto.FileKeyVault;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.testing.AnvilExtension;
import org.fhirledger.testing.IpfsNodeExtension;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline with a real IPFS node (js-ipfs, Kubo RPC): outage and catch-up, and what the node holds. */
class IpfsPipelineTest {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    @RegisterExtension
    static final IpfsNodeExtension ipfs = new IpfsNodeExtension();

    @TempDir
    Path data;

    @Test
    void anIpfsOutageDelaysTheLedgerNotTheWritesAndTheNodeHoldsOnlyCiphertextOfTheServedVersion() throws Exception {
        try (PipelineServer server = PipelineServer.start(
                data,
                anvil.rpcUrl(),
                anvil.chainId(),
                "--content-store.ipfs-api-url=" + ipfs.apiUrl(),
                "--outbox.retry-max=1s")) {
            IGenericClient client = server.client();
            Patient p = new Patient();
            p.addName().setFamily("Chalmers").addGiven("Peter");
            p.addIdentifier().setSystem("urn:example:mrn").setValue("MRN-4711");
            IdType pid = (IdType) client.create().resource(p).execute().getId();
            server.awaitBacklogEmpty(Duration.ofSeconds(60));
            assertThat(server.health()
                            .at("/components/outbox/details/contentStore")
                            .asText())
                    .startsWith("ipfs http://");

            ipfs.stop();
            List<IdType> ids = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    DiagnosticReport dr =
                            new DiagnosticReport().setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
                    dr.getCode().setText("glucose");
                    dr.setConclusion("Conclusion for Chalmers " + i);
                    dr.setSubject(new Reference(pid.toUnqualifiedVersionless()));
                    ids.add((IdType) client.create().resource(dr).execute().getId());
                }
                PipelineServer.await(
                        () -> {
                            JsonNode h = server.health();
                            return "DOWN"
                                            .equals(h.at("/components/outbox/status")
                                                    .asText())
                                    && h.at("/components/outbox/details/contentStoreError")
                                            .isTextual();
                        },
                        Duration.ofSeconds(60),
                        "outbox health names the content store");
                // the five reports wait for the content store (their AuditEvents, hash-only, may be on chain already)
                assertThat(server.jdbc()
                                .queryForObject(
                                        "select count(*) from fl_outbox where state <> 'CONFIRMED' "
                                                + "and res_type <> 'AuditEvent'",
                                        Long.class))
                        .isEqualTo(5);
                assertThat(server.health()
                                .at("/components/outbox/details/backlog")
                                .asLong())
                        .isGreaterThanOrEqualTo(5);
                assertThat(server.health().at("/status").asText()).isEqualTo("DOWN");
            } finally {
                ipfs.start();
            }
            server.awaitBacklogEmpty(Duration.ofSeconds(60));
            PipelineServer.await(
                    () -> "UP"
                            .equals(server.health()
                                    .at("/components/outbox/status")
                                    .asText()),
                    Duration.ofSeconds(30),
                    "outbox health UP again");

            // what the node holds decrypts (patient key, bound to the version) to exactly the served version, and names
            // nothing in clear
            ids.add(pid);
            Pseudonyms pseudonyms = server.ctx.getBean(Pseudonyms.class);
            KuboContentStore node = new KuboContentStore(KuboConfig.defaults(ipfs.apiUrl()));
            EnvelopeCipher cipher = new EnvelopeCipher(FileKeyVault.open(data), new FileDataKeyStore(data));
            for (IdType id : ids) {
                String type = id.getResourceType();
                RecordInfo info = server.ledger()
                        .findRecord(pseudonyms.of(type + "/" + id.getIdPart()), 1)
                        .orElseThrow();
                assertThat(info.entry().patient()).isEqualTo(pseudonyms.of("Patient/" + pid.getIdPart()));
                byte[] envelope = node.get(Cid.fromBytes(info.entry().cid()));
                String clear = new String(envelope, StandardCharsets.ISO_8859_1);
                assertThat(clear)
                        .doesNotContain("Chalmers")
                        .doesNotContain("MRN-4711")
                        .doesNotContain(pid.getIdPart() + "\"");
                byte[] plain = cipher.decrypt(
                        info.entry().patient().toHex().substring(2),
                        new ResourceVersion(type, id.getIdPart(), "1"),
                        envelope);
                String served = server.get("/" + type + "/" + id.getIdPart() + "/_history/1")
                        .body();
                assertThat(CanonicalResource.canonicalize(plain))
                        .isEqualTo(CanonicalResource.canonicalize(served.getBytes(StandardCharsets.UTF_8)));
                assertThat(CanonicalResource.contentHash(plain))
                        .isEqualTo(info.entry().contentHash());
                Map<String, Object> row = server.jdbc()
                        .queryForMap(
                                "select cid from fl_outbox where res_type = ? and res_id = ?", type, id.getIdPart());
                assertThat(row.get("cid"))
                        .isEqualTo(Cid.fromBytes(info.entry().cid()).toString());
            }
        }
    }
}
