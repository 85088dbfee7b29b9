package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.RecordEntry;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.web3j.LedgerConfig;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.server.api.ServerTestBase;
import org.fhirledger.server.ledger.ContractsFile;
import org.fhirledger.server.outbox.OutboxRow;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.DevTokens;
import org.fhirledger.server.testing.H2FileInitializer;
import org.fhirledger.server.testing.SharedChain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ContextConfiguration;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * The record locator on a real chain with two members: this server is member A; member B (admitted in the
 * directory, its custodian enrolled by itself) records entries through the ledger adapter's record port under the
 * consortium pseudonym it derives from the same national id with the consortium key, as B's server would.
 * {@code Patient/{id}/$locate} then names the members holding records for the patient, never what they are.
 */
@ContextConfiguration(initializers = H2FileInitializer.class) // ConsortiumTest's context, shared
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordLocatorTest extends ServerTestBase {

    /** The default shared patient identifier system ({@code exchange.patient-identifier-system}). */
    static final String NATIONAL = "urn:oid:2.16.840.1.113883.4.1";

    /** The family name of this class's patients: PHI the chain must never hold. */
    static final String NAME = "Locmark" + UUID.randomUUID().toString().substring(0, 8);

    @Autowired
    Ledger ledger;

    @Autowired
    InstitutionDirectory directory;

    @Autowired
    ConsortiumView view;

    @Autowired
    ConsortiumPseudonyms consortium;

    @Autowired
    Pseudonyms pseudonyms;

    @Autowired
    OutboxStore outbox;

    Web3j web3j;
    /** The first block of this class's writes: the chain scan reads from here. */
    long firstBlock;

    Credentials b;
    /** B's server's ledger adapter: B's custodian account on the same chain. */
    Web3jLedger ledgerB;

    String custodian;
    String clinician;
    String otherClinician;

    @BeforeAll
    void members() throws Exception {
        web3j = Web3j.build(new HttpService(SharedChain.anvil().rpcUrl()));
        firstBlock = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        var contracts = ContractsFile.read(
                dataDir().resolve("chain/contracts.json"), SharedChain.anvil().chainId());
        b = SecondMember.of(dataDir(), web3j, directory, view);
        if (!ledger.hasRole(b.getAddress(), Role.CUSTODIAN)) {
            // a newly admitted member's custodian enrols itself, as its server does
            var registry = org.fhirledger.contracts.generated.AccessRegistry.load(
                    contracts.accessRegistry(),
                    web3j,
                    new RawTransactionManager(
                            web3j,
                            b,
                            SharedChain.anvil().chainId(),
                            new PollingTransactionReceiptProcessor(web3j, 50, 400)),
                    new StaticGasProvider(BigInteger.ZERO, BigInteger.valueOf(500_000)));
            assertThat(registry.assignRole(
                                    b.getAddress(),
                                    BigInteger.valueOf(Role.CUSTODIAN.code()),
                                    Hash.sha3(b.getAddress().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            .send()
                            .isStatusOK())
                    .isTrue();
        }
        ledgerB = Web3jLedger.connect(
                LedgerConfig.defaults(
                        SharedChain.anvil().rpcUrl(), SharedChain.anvil().chainId(), contracts),
                b);
        view.invalidate();

        custodian = bearerToken();
        for (String dr : List.of("loc-dr", "loc-dr-other")) {
            HttpResponse<String> r = put(
                    custodian,
                    "/Practitioner/" + dr,
                    "{\"resourceType\":\"Practitioner\",\"id\":\"" + dr + "\",\"name\":[{\"family\":\"Loc\"}]}");
            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        }
        clinician = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/loc-dr");
        otherClinician = DevTokens.mint(dataDir(), Role.CLINICIAN, "Practitioner/loc-dr-other");
    }

    @AfterAll
    void close() {
        if (ledgerB != null) ledgerB.close();
        if (web3j != null) web3j.shutdown();
    }

    @Test
    void theMembersHoldingRecordsUnderThePatientsConsortiumPseudonymAreLocated() throws Exception {
        String nationalId = nationalId();
        String patient = createPatient(clinician, nationalId);
        String obs = createObservation(clinician, patient);
        Bytes32 shared = consortium.of(NATIONAL, nationalId);
        Bytes32 local = pseudonyms.of("Patient", patient);
        awaitConfirmed("Observation", obs);

        // the outbox row keeps the local pseudonym (data key, erasure) and carries the consortium one to the chain
        OutboxRow row = row("Observation", obs);
        assertThat(row.patient()).isEqualTo(local);
        assertThat(row.ledgerPatient()).isEqualTo(shared);
        // the RecordAppended event's patient topic
        assertThat(ledger.findRecord(pseudonyms.of("Observation", obs), 1)
                        .orElseThrow()
                        .entry()
                        .patient())
                .isEqualTo(shared);
        assertThat(ledger.findRecord(local, 1).orElseThrow().entry().patient()).isEqualTo(shared);
        assertThat(ledger.custodiansOfPatient(shared)).containsExactly(self());
        assertThat(ledger.custodiansOfPatient(local))
                .as("nothing on chain under the local pseudonym")
                .isEmpty();

        // B holds nothing yet: only this institution
        JsonNode alone = locate(clinician, patient, 200);
        assertThat(value(alone, "scope")).isEqualTo("consortium");
        assertThat(institutions(alone)).containsOnlyKeys(self());

        // B records a version of its own for the same person (its own local ids, the same consortium pseudonym)
        ledgerB.appendRecord(new RecordEntry(
                        Bytes32.of(random32()),
                        1,
                        Bytes32.of(random32()),
                        Cid.ofBlock(Cid.RAW, "record held at B".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                                .toBytes(),
                        shared))
                .get(30, TimeUnit.SECONDS);
        JsonNode both = locate(clinician, patient, 200);
        Map<String, JsonNode> members = institutions(both);
        assertThat(members).containsOnlyKeys(self(), lower(b.getAddress()));
        JsonNode memberB = members.get(lower(b.getAddress()));
        assertThat(part(memberB, "organization")).isEqualTo(SecondMember.ORGANIZATION);
        assertThat(part(memberB, "fhirBaseUrl")).isEqualTo(SecondMember.BASE_URL);
        assertThat(part(memberB, "self")).isEqualTo("false");
        assertThat(part(members.get(self()), "self")).isEqualTo("true");
        // where, never what: no resource, version, hash or pseudonym of a record
        assertThat(both.toString())
                .doesNotContain(shared.toHex().substring(2))
                .doesNotContain("Observation")
                .doesNotContain(nationalId);
        // the chain: the consortium pseudonym of both members' entries (the scan sees them), never the national
        // id or the name, in any transaction's input or any log
        String chain = chainText();
        assertThat(chain).contains(shared.toHex().substring(2).toLowerCase(Locale.ROOT));
        assertThat(chain).doesNotContain(hex(nationalId)).doesNotContain(hex(NAME));

        // the patient for their own record
        String patientToken = DevTokens.mint(dataDir(), Role.PATIENT, "Patient/" + patient);
        assertThat(institutions(locate(patientToken, patient, 200))).containsOnlyKeys(self(), lower(b.getAddress()));

        // a clinician without the patient's consent: as if the patient were not there, and audited
        HttpResponse<String> refused = call("GET", otherClinician, "/Patient/" + patient + "/$locate", null);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(404);
        assertThat(body(refused).at("/resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(refused.body()).doesNotContain("b.example");
        assertThat(shape(refused).replace(patient, "X"))
                .isEqualTo(shape(call("GET", otherClinician, "/Patient/no-such-patient/$locate", null))
                        .replace("no-such-patient", "X"));
        String auditor = DevTokens.mint(dataDir(), Role.AUDITOR, null);
        await(
                () -> body(get(auditor, "/AuditEvent?patient=Patient/" + patient + "&subtype=operation&outcome=4"))
                                .at("/total")
                                .asInt(0)
                        >= 1,
                "the refused $locate audited");
        await(
                () -> body(get(auditor, "/AuditEvent?patient=Patient/" + patient + "&subtype=operation&outcome=0"))
                                .at("/total")
                                .asInt(0)
                        >= 2,
                "the answered $locate calls audited");

        // a role that is neither clinician nor the patient
        HttpResponse<String> admin =
                call("GET", DevTokens.mint(dataDir(), Role.ADMIN, null), "/Patient/" + patient + "/$locate", null);
        assertThat(admin.statusCode()).as(admin.body()).isEqualTo(403);
    }

    @Test
    void aPatientTheOtherMemberHoldsNothingForIsLocatedHereOnly() {
        String patient = createPatient(clinician, nationalId());
        JsonNode answer = locate(clinician, patient, 200);
        assertThat(value(answer, "scope")).isEqualTo("consortium");
        assertThat(institutions(answer)).containsOnlyKeys(self());
    }

    @Test
    void aPatientWithoutTheSharedIdentifierIsLocalOnlyAndSaysSo() throws Exception {
        HttpResponse<String> created = post(
                clinician,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"urn:example:mrn\",\"value\":\""
                        + nationalId() + "\"}],\"name\":[{\"family\":\"Local\"}]}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String patient = body(created).at("/id").asText();
        Bytes32 local = pseudonyms.of("Patient", patient);
        awaitConfirmed("Patient", patient);
        assertThat(row("Patient", patient).ledgerPatient()).isEqualTo(local);
        assertThat(ledger.findRecord(local, 1).orElseThrow().entry().patient()).isEqualTo(local);

        JsonNode answer = locate(clinician, patient, 200);
        assertThat(value(answer, "scope")).isEqualTo("local");
        assertThat(value(answer, "note")).contains(NATIONAL).contains("only this institution");
        assertThat(institutions(answer)).containsOnlyKeys(self());
    }

    @Test
    void aVersionCarriesThePseudonymOfThePatientsIdentifierWhenItWasWritten() throws Exception {
        String first = nationalId();
        String second = nationalId();
        String patient = createPatient(clinician, first);
        String before = createObservation(clinician, patient);
        HttpResponse<String> changed = put(
                clinician,
                "/Patient/" + patient,
                "{\"resourceType\":\"Patient\",\"id\":\"" + patient + "\",\"identifier\":[{\"system\":\"" + NATIONAL
                        + "\",\"value\":\"" + second + "\"}]}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        String after = createObservation(clinician, patient);
        awaitConfirmed("Observation", after);
        awaitConfirmed("Observation", before);
        Bytes32 local = pseudonyms.of("Patient", patient);
        assertThat(ledger.findRecord(local, 1).orElseThrow().entry().patient())
                .isEqualTo(consortium.of(NATIONAL, first));
        assertThat(ledger.findRecord(local, 2).orElseThrow().entry().patient())
                .isEqualTo(consortium.of(NATIONAL, second));
        assertThat(row("Observation", before).ledgerPatient()).isEqualTo(consortium.of(NATIONAL, first));
        assertThat(row("Observation", after).ledgerPatient()).isEqualTo(consortium.of(NATIONAL, second));
    }

    @Test
    void anErasedPatientIsNotLocatedAndTheServerForgetsItsConsortiumPseudonym() throws Exception {
        String nationalId = nationalId();
        String patient = createPatient(clinician, nationalId);
        createObservation(clinician, patient);
        Bytes32 local = pseudonyms.of("Patient", patient);
        assertThat(locate(clinician, patient, 200)).isNotNull();
        assertThat(consortiumRows(local)).isEqualTo(1);

        HttpResponse<String> erased = post(
                custodian,
                "/Patient/" + patient + "/$erase",
                "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"test\"}]}");
        assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);

        // the clinician's consent went with the patient: not there; the custodian learns it was erased
        assertThat(call("GET", clinician, "/Patient/" + patient + "/$locate", null)
                        .statusCode())
                .isEqualTo(404);
        HttpResponse<String> gone = call("GET", custodian, "/Patient/" + patient + "/$locate", null);
        assertThat(gone.statusCode()).as(gone.body()).isEqualTo(410);
        assertThat(consortiumRows(local))
                .as("no link from the local to the consortium pseudonym")
                .isZero();
        // the erasure entry carries the local pseudonym: nothing new under the consortium pseudonym
        awaitConfirmed("Patient", patient);
        long last = outbox.jdbc()
                .queryForObject(
                        "select max(res_version) from fl_outbox where res_type = 'Patient' and res_id = ?",
                        Long.class,
                        patient);
        assertThat(ledger.findRecord(local, last).orElseThrow().entry().patient())
                .isEqualTo(local);
    }

    // ---- helpers

    String createPatient(String token, String nationalId) {
        HttpResponse<String> r = post(
                token,
                "/Patient",
                "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"" + NATIONAL + "\",\"value\":\""
                        + nationalId + "\"}],\"name\":[{\"family\":\"" + NAME + "\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).at("/id").asText();
    }

    String createObservation(String token, String patient) {
        HttpResponse<String> r = post(
                token,
                "/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"pulse\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patient + "\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return body(r).at("/id").asText();
    }

    JsonNode locate(String token, String patient, int status) {
        HttpResponse<String> r = call("GET", token, "/Patient/" + patient + "/$locate", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return body(r);
    }

    /** The institutions of a $locate answer, by custodian account. */
    static Map<String, JsonNode> institutions(JsonNode parameters) {
        Map<String, JsonNode> out = new TreeMap<>();
        parameters.path("parameter").forEach(p -> {
            if ("institution".equals(p.path("name").asText())) out.put(part(p, "custodian"), p);
        });
        return out;
    }

    static String value(JsonNode parameters, String name) {
        for (JsonNode p : parameters.path("parameter")) {
            if (name.equals(p.path("name").asText())) {
                for (String v : List.of("valueCode", "valueString"))
                    if (p.has(v)) return p.get(v).asText();
            }
        }
        return null;
    }

    static String part(JsonNode parameter, String name) {
        return ConsortiumTest.part(parameter, name);
    }

    /** A refusal's form without its words: status and issue codes. */
    static String shape(HttpResponse<String> r) {
        JsonNode oo = body(r);
        List<String> codes = new ArrayList<>();
        oo.path("issue")
                .forEach(i -> codes.add(
                        i.path("severity").asText() + "/" + i.path("code").asText()));
        return r.statusCode() + " " + oo.path("resourceType").asText() + " " + codes;
    }

    /** The outbox row of a resource's first version, as the writer reads it (also after a restart). */
    OutboxRow row(String type, String id) {
        return outbox.row(type, id, 1).orElseThrow();
    }

    int consortiumRows(Bytes32 local) {
        return outbox.jdbc()
                .queryForObject(
                        "select count(*) from fl_consortium_patient where patient_pn = ?",
                        Integer.class,
                        local.toHex());
    }

    void awaitConfirmed(String type, String id) {
        await(
                () -> outbox.jdbc()
                                .queryForObject(
                                        "select count(*) from fl_outbox where res_type = ? and res_id = ?"
                                                + " and state <> 'CONFIRMED'",
                                        Long.class,
                                        type,
                                        id)
                        == 0,
                type + "/" + id + " on chain");
    }

    static void await(BooleanSupplier condition, String what) {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(until);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    String self() {
        return lower(ledger.account());
    }

    static String lower(String account) {
        return account.toLowerCase(Locale.ROOT);
    }

    /** A fresh national id, formatted as one ({@code ddd-dd-dddd}). */
    static String nationalId() {
        SecureRandom r = new SecureRandom();
        return String.format("%03d-%02d-%04d", r.nextInt(1000), r.nextInt(100), r.nextInt(10000));
    }

    /** Every transaction input and log (data and topics) on the chain since {@link #firstBlock}, lower-case hex. */
    String chainText() throws Exception {
        return chainText(web3j, firstBlock);
    }

    /** Every transaction input and log (data and topics) on the chain from that block on, lower-case hex. */
    static String chainText(Web3j web3j, long firstBlock) throws Exception {
        long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        StringBuilder all = new StringBuilder();
        for (long n = firstBlock; n <= head; n++) {
            EthBlock.Block block = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), true)
                    .send()
                    .getBlock();
            for (EthBlock.TransactionResult<?> tr : block.getTransactions()) {
                all.append(((EthBlock.TransactionObject) tr.get()).getInput()).append('\n');
            }
        }
        EthFilter since = new EthFilter(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(firstBlock)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(head)),
                List.of());
        for (EthLog.LogResult<?> lr : web3j.ethGetLogs(since).send().getLogs()) {
            org.web3j.protocol.core.methods.response.Log log = (org.web3j.protocol.core.methods.response.Log) lr.get();
            all.append(log.getData()).append(String.join("", log.getTopics())).append('\n');
        }
        return all.toString().toLowerCase(Locale.ROOT);
    }

    static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static byte[] random32() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
