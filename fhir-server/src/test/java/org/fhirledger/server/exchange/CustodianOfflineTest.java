package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Predicate;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.ContentStore;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.crypto.DecryptionException;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.ledger.Role;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.ledger.ContractsFile;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.fhirledger.server.ledger.InstitutionKey;
import org.fhirledger.server.outbox.PipelineServer;
import org.fhirledger.server.outbox.VersionRecorder;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.security.HttpProbe;
import org.fhirledger.server.testing.SharedChain;
import org.fhirledger.testing.FreePort;
import org.fhirledger.testing.IpfsNodeExtension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * The custodian offline (docs/exchange.md): two full servers on one anvil, both storing content in one real js-ipfs
 * node. A founds the consortium (directory, KeyRelease), B is admitted and publishes its HPKE key at start-up. A FHIR
 * Consent at A naming B's clinician makes A release the patient's data key to B; then A's server is stopped, and B's
 * {@code $fetch-remote} answers from IPFS by the CIDs on chain, decrypting with the released key, checking every
 * version's hash against A's entry and the clinician's consent on chain itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CustodianOfflineTest {

    @RegisterExtension
    static final IpfsNodeExtension IPFS = new IpfsNodeExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORG_B = "urn:oid:2.16.840.1.113883.3.9998";
    private static final String NAME = "Offlinetestname";

    Web3j web3j;
    long firstBlock;
    PipelineServer a;
    PipelineServer b;
    String aAccount;
    Credentials aKey;
    Credentials bKey;
    String system;

    String nationalId = "NID-OFF-" + UUID.randomUUID();
    String otherNationalId = "NID-OFF2-" + UUID.randomUUID();
    Bytes32 shared;
    Bytes32 otherShared;
    Bytes32 localAtA;
    String patientAtA;
    String observationAtA;
    String tamperedAtA;
    String patientAtB;
    String otherPatientAtB;
    String consented;
    String consentedToken;
    String onlyAtB;
    String onlyAtBToken;

    @BeforeAll
    void aReleasesToBThenStops() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        firstBlock = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        int aPort = FreePort.pick();
        Path aDir = Files.createTempDirectory(
                Files.createDirectories(Path.of("target", "test-data").toAbsolutePath()), "offline-a-");
        a = PipelineServer.start(
                aDir,
                SharedChain.anvil().rpcUrl(),
                SharedChain.anvil().chainId(),
                "--server.port=" + aPort,
                "--exchange.fhir-base-url=http://localhost:" + aPort + "/fhir",
                "--exchange.cache-ttl=0s",
                "--content-store.ipfs-api-url=" + IPFS.apiUrl());
        aAccount = a.ledger().account();
        aKey = Credentials.create(
                Files.readString(aDir.resolve("chain/server-key.hex")).trim());
        assertThat(ContractsFile.keyRelease(aDir.resolve("chain/contracts.json")))
                .isPresent();
        bKey = SecondMember.newAccount();
        b = MemberServer.start(
                aDir,
                web3j,
                a.ctx.getBean(InstitutionDirectory.class),
                bKey,
                ORG_B,
                () -> a.ctx.getBean(ConsortiumView.class).invalidate(),
                "--exchange.retrieval.connect-timeout=2s",
                "--exchange.retrieval.request-timeout=10s",
                "--content-store.ipfs-api-url=" + IPFS.apiUrl());
        KeyReleaseLedger releases = a.ctx.getBean(KeyReleaseLedger.class);
        // B published its encryption key at start-up, the public half of the key in its data directory
        assertThat(releases.publishedKey(bKey.getAddress()))
                .hasValueSatisfying(k -> assertThat(k)
                        .isEqualTo(MemberEncryptionKey.open(b.dataDir.resolve("keys/member-encryption-key.json"), false)
                                .publicKeyset()));

        system = a.ctx.getBean(ExchangeProperties.class).patientIdentifierSystem();
        patientAtA = id(callA("POST", "/Patient", patient(nationalId)));
        observationAtA = id(callA("POST", "/Observation", observation(patientAtA, "offline-probe")));
        tamperedAtA = id(callA("POST", "/Observation", observation(patientAtA, "to-be-tampered")));
        String otherAtA = id(callA("POST", "/Patient", patient(otherNationalId)));
        patientAtB = id(callB("POST", b.token(), "/Patient", patient(nationalId)));
        otherPatientAtB = id(callB("POST", b.token(), "/Patient", patient(otherNationalId)));

        DevTokens.Minted c1 = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/offline-1");
        DevTokens.Minted c2 = DevTokens.mintFor(b.dataDir, Role.CLINICIAN, "Practitioner/offline-2");
        consented = c1.ledgerAddress();
        consentedToken = c1.token();
        onlyAtB = c2.ledgerAddress();
        onlyAtBToken = c2.token();
        Pseudonyms bPseudonyms = b.ctx.getBean(Pseudonyms.class);
        Instant until = Instant.now().plus(Duration.ofHours(1));
        for (String clinician : List.of(consented, onlyAtB)) {
            for (String p : List.of(patientAtB, otherPatientAtB)) {
                b.ledger()
                        .grantConsent(
                                bPseudonyms.of("Patient", p),
                                clinician,
                                ConsentAction.READ.bit(),
                                ResourceTypes.ALL,
                                until);
            }
        }

        ConsortiumPseudonyms consortium = a.ctx.getBean(ConsortiumPseudonyms.class);
        shared = consortium.ofPatient(patient(system, nationalId)).orElseThrow();
        otherShared = consortium.ofPatient(patient(system, otherNationalId)).orElseThrow();
        localAtA = a.ctx.getBean(Pseudonyms.class).of("Patient", patientAtA);
        Ledger aLedger = a.ledger();
        a.awaitBacklogEmpty(Duration.ofSeconds(60)); // recorded on chain, content in IPFS

        // the patient consents at A, by FHIR Consent naming B's clinician: A grants on chain and releases to B
        id(callA("POST", "/Consent", TestConsortium.consent(patientAtA, consented)));
        String otherConsent = id(callA("POST", "/Consent", TestConsortium.consent(otherAtA, consented)));
        PipelineServer.await(
                () -> releases.released(aAccount, bKey.getAddress(), shared, 1).isPresent()
                        && releases.released(aAccount, bKey.getAddress(), otherShared, 1)
                                .isPresent(),
                Duration.ofSeconds(30),
                "A released no data key to B");
        assertThat(aLedger.isPermitted(localAtA, consented, ConsentAction.READ, "Observation", Instant.now()))
                .isTrue();

        // the patient withdraws the second Consent: A rotates that patient's data key, so the key B holds does not
        // open what A writes afterwards
        EnvelopeCipher aCipher = a.ctx.getBean(EnvelopeCipher.class);
        String otherKeyId =
                VersionRecorder.keyIdOf(a.ctx.getBean(Pseudonyms.class).of("Patient", otherAtA));
        byte[] heldByB = aCipher.exportDataKey(otherKeyId);
        HttpResponse deleted = callA("DELETE", "/Consent/" + otherConsent, null);
        assertThat(deleted.status()).as(deleted.body()).isIn(200, 204);
        PipelineServer.await(
                () -> !Arrays.equals(aCipher.exportDataKey(otherKeyId), heldByB),
                Duration.ofSeconds(30),
                "the data key was not rotated after the revocation");
        String afterRevocation = id(callA("POST", "/Observation", observation(otherAtA, "after-revocation")));
        byte[] written = a.jdbc()
                .queryForObject(
                        "select envelope from fl_outbox where res_type = 'Observation' and res_id = ?",
                        byte[].class,
                        afterRevocation);
        ResourceVersion v1 = new ResourceVersion("Observation", afterRevocation, "1");
        assertThatThrownBy(() -> EnvelopeCipher.decryptWithReleasedKey(heldByB, v1, written))
                .isInstanceOf(DecryptionException.class);
        assertThat(new String(
                        EnvelopeCipher.decryptWithReleasedKey(aCipher.exportDataKey(otherKeyId), v1, written),
                        StandardCharsets.UTF_8))
                .contains("after-revocation");

        // a member that published no key gets nothing released; this institution's own clinician needs no release
        Credentials cKey = SecondMember.newAccount();
        TestConsortium.admit(
                aDir,
                web3j,
                a.ctx.getBean(InstitutionDirectory.class),
                new Institution(
                        cKey.getAddress(),
                        "urn:oid:2.16.840.1.113883.3.9997",
                        "http://localhost:9/fhir",
                        InstitutionKey.publicJwk(cKey)));
        Credentials clinicianOfC = SecondMember.newAccount();
        var registryOfC = TestConsortium.registryAs(aDir, web3j, cKey);
        assertThat(registryOfC
                        .assignRole(cKey.getAddress(), BigInteger.valueOf(Role.CUSTODIAN.code()), random32())
                        .send()
                        .isStatusOK())
                .isTrue();
        assertThat(registryOfC
                        .assignRole(clinicianOfC.getAddress(), BigInteger.valueOf(Role.CLINICIAN.code()), random32())
                        .send()
                        .isStatusOK())
                .isTrue();
        KeyReleases keyReleases = a.ctx.getBean(KeyReleases.class);
        assertThat(keyReleases.release(patientAtA, List.of(clinicianOfC.getAddress())))
                .isZero();
        assertThat(releases.released(aAccount, cKey.getAddress(), shared, 1)).isEmpty();
        String ownClinician = DevTokens.mintFor(aDir, Role.CLINICIAN, "Practitioner/offline-at-a")
                .ledgerAddress();
        assertThat(keyReleases.release(patientAtA, List.of(ownClinician))).isZero();

        // a version whose content does not hash to its entry: A's data key, a real CID, another hash on chain
        EnvelopeCipher cipher = a.ctx.getBean(EnvelopeCipher.class);
        ContentStore ipfs = a.ctx.getBean(ContentStore.class);
        byte[] altered = ("{\"resourceType\":\"Observation\",\"id\":\"" + tamperedAtA
                        + "\",\"status\":\"final\",\"code\":{\"text\":\"altered\"}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] envelope = cipher.encrypt(
                VersionRecorder.keyIdOf(localAtA), new ResourceVersion("Observation", tamperedAtA, "2"), altered);
        aLedger.appendRecord(new RecordEntry(
                        a.ctx.getBean(Pseudonyms.class).of("Observation", tamperedAtA),
                        2,
                        CanonicalResource.contentHash(("{\"resourceType\":\"Observation\",\"id\":\"" + tamperedAtA
                                        + "\",\"status\":\"final\",\"code\":{\"text\":\"recorded\"}}")
                                .getBytes(StandardCharsets.UTF_8)),
                        ipfs.put(envelope).toBytes(),
                        shared))
                .get();
        // a resource written after the release: not in the released key's index
        id(callA("POST", "/Observation", observation(patientAtA, "after-release")));
        a.awaitBacklogEmpty(Duration.ofSeconds(60));

        // the second patient's release replaced by a key sealed to another member (C): B cannot open it
        MemberEncryptionKey c = MemberEncryptionKey.generate();
        releases.release(
                bKey.getAddress(),
                otherShared,
                1,
                MemberEncryptionKey.seal(
                        c.publicKeyset(),
                        "{\"v\":1}".getBytes(StandardCharsets.UTF_8),
                        ReleasedKey.context(aAccount, "0x" + "c".repeat(40), otherShared, 1)));

        a.close(); // the custodian's server is down from here on
    }

    @AfterAll
    void stop() {
        try {
            if (b != null) b.close();
        } finally {
            web3j.shutdown();
        }
    }

    @Test
    @Order(1)
    void bsConsentedClinicianGetsAsRecordsFromIpfsEachVersionChecked() throws Exception {
        HttpResponse r = fetch(consentedToken, patientAtB, "Patient,Observation");
        assertThat(r.status).as(r.body).isEqualTo(200);
        List<String> shown = new ArrayList<>();
        for (JsonNode e : RetrievalTest.matches(r.json)) {
            shown.add(e.at("/resource/resourceType").asText() + "/"
                    + e.at("/resource/id").asText());
            assertThat(e.path("fullUrl").asText()).startsWith("http://localhost:");
        }
        assertThat(shown).containsExactlyInAnyOrder("Patient/" + patientAtA, "Observation/" + observationAtA);
        assertThat(r.body).contains("offline-probe").contains(nationalId).doesNotContain("altered");
        JsonNode outcome = RetrievalTest.outcome(r.json);
        assertThat(outcome).as(r.body).isNotNull();
        assertThat(outcome.toString())
                .contains("content store (IPFS)")
                .contains("Observation/" + tamperedAtA + "/_history/2")
                .contains("cannot be named offline");
        // audited at B: the retrieval, from the content store, a failure naming the version left out
        JsonNode atB = eventAtB(ev -> RetrievalTest.requestor(ev).equalsIgnoreCase(consented)
                && ev.toString().contains("from the content store"));
        assertThat(atB.path("outcome").asText()).isEqualTo("8");
        assertThat(atB.toString())
                .contains("Patient/" + patientAtB)
                .contains("Observation/" + tamperedAtA + "/_history/2");
    }

    @Test
    @Order(2)
    void aClinicianWithoutConsentAtAGetsWhatAWouldHaveAnswered() throws Exception {
        HttpResponse r = fetch(onlyAtBToken, patientAtB, "Patient,Observation");
        assertThat(r.status).as(r.body).isEqualTo(200);
        assertThat(RetrievalTest.matches(r.json)).isEmpty();
        assertThat(r.body).doesNotContain("offline-probe").doesNotContain(nationalId);
        assertThat(RetrievalTest.outcome(r.json).toString()).contains("shows the caller no patient");
        JsonNode atB = eventAtB(ev -> RetrievalTest.requestor(ev).equalsIgnoreCase(onlyAtB)
                && ev.toString().contains("from the content store"));
        assertThat(atB.toString()).contains("Patient/" + patientAtB);
    }

    @Test
    @Order(3)
    void aKeySealedToAnotherMemberDoesNotOpenAtB() {
        HttpResponse r = fetch(consentedToken, otherPatientAtB, "Patient");
        assertThat(r.status).as(r.body).isEqualTo(503);
        assertThat(r.json.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(r.body).contains("does not open").doesNotContain(otherNationalId);
    }

    @Test
    @Order(4)
    void afterARevocationOnChainBRefuses() throws Exception {
        // the patient revokes while A is down: A's custodian account on chain (as A's server would relay it)
        ConsentRegistry registry = ConsentRegistry.load(
                ContractsFile.read(
                                a.dataDir.resolve("chain/contracts.json"),
                                SharedChain.anvil().chainId())
                        .consentRegistry(),
                web3j,
                new RawTransactionManager(
                        web3j,
                        aKey,
                        SharedChain.anvil().chainId(),
                        new PollingTransactionReceiptProcessor(web3j, 50, 400)),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(500_000)));
        assertThat(registry.revoke(localAtA.toArray(), consented).send().isStatusOK())
                .isTrue();
        HttpResponse r = fetch(consentedToken, patientAtB, "Patient,Observation");
        assertThat(r.status).as(r.body).isEqualTo(200);
        assertThat(RetrievalTest.matches(r.json)).isEmpty();
        assertThat(r.body).doesNotContain("offline-probe");
        assertThat(RetrievalTest.outcome(r.json).toString()).contains("shows the caller no patient");
    }

    @Test
    @Order(5)
    void noPhiOnChain() throws Exception {
        String chain = RecordLocatorTest.chainText(web3j, firstBlock);
        // the scan sees the releases (keyed by the consortium pseudonym) and B's published key...
        assertThat(chain).contains(shared.toHex().substring(2).toLowerCase(Locale.ROOT));
        // ...and neither the patient's name nor national ids in any transaction input or log
        assertThat(chain)
                .doesNotContain(RecordLocatorTest.hex(NAME))
                .doesNotContain(RecordLocatorTest.hex(nationalId))
                .doesNotContain(RecordLocatorTest.hex(otherNationalId))
                .doesNotContain(RecordLocatorTest.hex("offline-probe"));
    }

    // ---- helpers

    record HttpResponse(int status, String body, JsonNode json) {}

    HttpResponse fetch(String token, String patientAtB, String types) {
        return callB(
                "GET", token, "/Patient/" + patientAtB + "/$fetch-remote?member=" + aAccount + "&_type=" + types, null);
    }

    HttpResponse callA(String method, String path, String body) {
        return call(method, a.baseUrl() + path, a.token(), body);
    }

    HttpResponse callB(String method, String token, String path, String body) {
        return call(method, b.baseUrl() + path, token, body);
    }

    static HttpResponse call(String method, String url, String token, String body) {
        var r = HttpProbe.request(method, url, HttpProbe.bearer(token), body);
        JsonNode json;
        try {
            json = r.body() == null || r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (Exception e) {
            json = JSON.nullNode();
        }
        return new HttpResponse(r.statusCode(), r.body(), json);
    }

    static String id(HttpResponse created) {
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asText();
    }

    String patient(String nid) {
        return "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + system + "\",\"value\":\"" + nid
                + "\"}],\"name\":[{\"family\":\"" + NAME + "\"}]}";
    }

    static Patient patient(String system, String nid) {
        return new Patient().addIdentifier(new Identifier().setSystem(system).setValue(nid));
    }

    static byte[] random32() {
        byte[] b = new byte[32];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    static String observation(String patient, String text) {
        return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + text + "\"},"
                + "\"subject\":{\"reference\":\"Patient/" + patient + "\"}}";
    }

    /** The newest AuditEvent at B that fits (written before the answer, or soon after). */
    JsonNode eventAtB(Predicate<JsonNode> wanted) throws Exception {
        Instant until = Instant.now().plus(Duration.ofSeconds(10));
        while (true) {
            HttpResponse r = callB("GET", b.token(), "/AuditEvent?_sort=-date&_count=200", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            for (JsonNode e : r.json().path("entry")) {
                if (wanted.test(e.path("resource"))) return e.path("resource");
            }
            assertThat(Instant.now()).as("no such AuditEvent").isBefore(until);
            Thread.sleep(200);
        }
    }
}
