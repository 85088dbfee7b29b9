package org.fhirledger.server.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.SimplePreResourceShowDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.OutboxRow;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.version.RecordedInRequest;
import org.fhirledger.server.version.StoredForm;
import org.h2.jdbcx.JdbcDataSource;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The answer to a write is checked like any shown version, but when it shows exactly the bytes the request just
 * recorded (their hash known, their outbox row unconfirmed) it is pending without a second canonicalisation and
 * hash and without a chain lookup; anything else takes the full check, as before. The outbox is the real one, the
 * chain's answers are scripted and counted.
 */
class IntegrityCheckOfAWriteAnswerTest {

    private static final FhirContext CTX = FhirContext.forR4Cached();
    private static final AtomicInteger DB = new AtomicInteger();

    private OutboxStore outbox;
    private final AtomicInteger chainLookups = new AtomicInteger();
    private Bytes32 onChain; // null: not on chain

    private IntegrityChecker checker;
    private IntegrityCheck check;

    @BeforeEach
    void setUp() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:write-answer-" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
        outbox = new OutboxStore(h2);
        outbox.createSchema();
        LedgerRecords chain = new LedgerRecords(null, null, new IntegrityProperties(null, null, null)) {
            @Override
            public Lookup recordHash(String type, String rid, long version, Bytes32 resource) {
                chainLookups.incrementAndGet();
                return onChain == null ? new Lookup.Absent() : new Lookup.Found(onChain);
            }
        };
        checker = new IntegrityChecker(
                chain,
                outbox,
                new Pseudonyms(Pseudonymizer.fromSecret(
                        "a test secret of 32 bytes length".getBytes(StandardCharsets.US_ASCII))),
                () -> Long.MAX_VALUE);
        check = new IntegrityCheck(CTX, checker, (request, type, id, version) -> {}, null);
    }

    private static Patient stored() {
        Patient p = new Patient();
        p.setId("Patient/p1/_history/1");
        p.addName().setFamily("Chalmers");
        return p;
    }

    private Bytes32 record(Patient p) {
        Bytes32 hash = CanonicalResource.contentHash(new StoredForm(CTX).of(p));
        outbox.insert(
                OutboxRow.Kind.RECORD, "Patient", "p1", 1, Bytes32.ZERO, Bytes32.ZERO, hash, new byte[] {1}, null);
        return hash;
    }

    private static ServletRequestDetails request(RestOperationTypeEnum operation) {
        ServletRequestDetails request = new ServletRequestDetails();
        request.setRestOperationType(operation);
        return request;
    }

    private static String tag(Patient p) {
        return p.getMeta().getTag().stream()
                .filter(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()))
                .map(t -> t.getCode())
                .findFirst()
                .orElse(null);
    }

    @Test
    void theAnswerToAWriteShowingWhatTheRequestRecordedIsPendingWithoutAskingTheChain() {
        Patient p = stored();
        Bytes32 hash = record(p);
        ServletRequestDetails request = request(RestOperationTypeEnum.CREATE);
        RecordedInRequest.remember(request, "Patient", "p1", 1, new StoredForm(CTX).of(p), hash);

        check.beforeShow(new SimplePreResourceShowDetails(p), request);

        assertThat(tag(p)).isEqualTo("pending");
        assertThat(chainLookups).hasValue(0);
    }

    @Test
    void aVersionTheRequestDidNotRecordTakesTheFullCheck() {
        Patient p = stored();
        record(p);

        check.beforeShow(new SimplePreResourceShowDetails(p), request(RestOperationTypeEnum.READ));

        assertThat(tag(p)).isEqualTo("pending");
        assertThat(chainLookups).hasValue(1);
    }

    @Test
    void anAnswerThatDiffersFromWhatWasRecordedTakesTheFullCheck() {
        Patient p = stored();
        Bytes32 hash = record(p);
        ServletRequestDetails request = request(RestOperationTypeEnum.CREATE);
        RecordedInRequest.remember(request, "Patient", "p1", 1, new StoredForm(CTX).of(p), hash);
        p.getMeta().setSource("#another-request"); // part of the stored form: other bytes

        assertThat(RecordedInRequest.hashIfSame(request, "Patient", "p1", 1, new StoredForm(CTX).ofShown(p)))
                .isNull();
        assertThat(checker.check("Patient", "p1", 1, new StoredForm(CTX).ofShown(p)))
                .isEqualTo(Verdict.TAMPERED);
        assertThat(chainLookups).hasValue(1);
    }

    @Test
    void aConfirmedVersionIsStillCheckedAgainstTheChain() {
        Patient p = stored();
        Bytes32 hash = record(p);
        outbox.jdbc().update("update fl_outbox set state = 'CONFIRMED'");

        onChain = hash;
        assertThat(checker.checkRecordedHere("Patient", "p1", 1, hash)).isEqualTo(Verdict.VERIFIED);
        onChain = Bytes32.of(new byte[32]);
        assertThat(checker.checkRecordedHere("Patient", "p1", 1, hash)).isEqualTo(Verdict.TAMPERED);
        assertThat(chainLookups).hasValue(2);
    }

    @Test
    void aRowHoldingAnotherHashIsTampered() {
        Patient p = stored();
        record(p);
        Bytes32 other = CanonicalResource.contentHash(
                "{\"resourceType\":\"Patient\",\"id\":\"p1\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(checker.checkRecordedHere("Patient", "p1", 1, other)).isEqualTo(Verdict.TAMPERED);
    }
}
