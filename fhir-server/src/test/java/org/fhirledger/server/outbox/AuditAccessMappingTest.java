package org.fhirledger.server.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Date;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.server.record.AuditShape;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

class AuditAccessMappingTest {

    static final String SERVER = "0x00000000000000000000000000000000000000Aa";
    static final Bytes32 HASH = Bytes32.fromHex("0x" + "11".repeat(32));

    /** A stand-in pseudonym: SHA-256 of the reference (the mapping only needs a function). */
    static Bytes32 pn(String reference) {
        if (!reference.matches("[A-Z][A-Za-z]+/[A-Za-z0-9\\-.]{1,64}")) throw new IllegalArgumentException(reference);
        try {
            return Bytes32.of(MessageDigest.getInstance("SHA-256").digest(reference.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    final AuditAccessMapping mapping = new AuditAccessMapping(AuditAccessMappingTest::pn, SERVER);

    static AuditEvent.AuditEventEntityComponent entity(AuditEvent e, String role) {
        return e.addEntity().setRole(new Coding(AuditShape.OBJECT_ROLE_SYSTEM, role, null));
    }

    @Test
    void aServerWrittenAuditEventMapsEveryField() {
        AuditEvent e = new AuditEvent();
        e.setAction(AuditEvent.AuditEventAction.U);
        e.setOutcome(AuditEvent.AuditEventOutcome._0);
        e.setRecorded(new Date(1_700_000_000_999L));
        e.addAgent()
                .setRequestor(false)
                .getWho()
                .setIdentifier(new Identifier()
                        .setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM)
                        .setValue("0x" + "22".repeat(20)));
        e.addAgent()
                .setRequestor(true)
                .getWho()
                .setIdentifier(new Identifier()
                        .setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM)
                        .setValue("0xABCDEF" + "33".repeat(17)));
        entity(e, AuditShape.ROLE_PATIENT).setWhat(new Reference("Patient/123"));
        entity(e, AuditShape.ROLE_DOMAIN_RESOURCE)
                .setWhat(new Reference()
                        .setIdentifier(new Identifier()
                                .setSystem(AuditShape.REFERENCE_SYSTEM)
                                .setValue("Observation/9")));
        AccessEntry a = mapping.map(e, HASH);
        assertThat(a.actor()).isEqualTo("0xabcdef" + "33".repeat(17));
        assertThat(a.patient()).isEqualTo(pn("Patient/123"));
        assertThat(a.resource()).isEqualTo(pn("Observation/9"));
        assertThat(a.action()).isEqualTo(3);
        assertThat(a.outcome()).isEqualTo(AccessEntry.Outcome.ALLOWED);
        assertThat(a.time()).isEqualTo(1_700_000_000L);
        assertThat(a.auditHash()).isEqualTo(HASH);
    }

    @Test
    void actionsAndOutcomes() {
        AuditEvent e = new AuditEvent();
        assertThat(mapping.map(e, HASH).action()).isZero();
        int code = 1;
        for (AuditEvent.AuditEventAction action : new AuditEvent.AuditEventAction[] {
            AuditEvent.AuditEventAction.C,
            AuditEvent.AuditEventAction.R,
            AuditEvent.AuditEventAction.U,
            AuditEvent.AuditEventAction.D,
            AuditEvent.AuditEventAction.E
        }) {
            assertThat(mapping.map(e.setAction(action), HASH).action()).isEqualTo(code++);
        }
        assertThat(mapping.map(e, HASH).outcome()).as("no outcome").isEqualTo(AccessEntry.Outcome.DENIED);
        for (AuditEvent.AuditEventOutcome o : new AuditEvent.AuditEventOutcome[] {
            AuditEvent.AuditEventOutcome._4, AuditEvent.AuditEventOutcome._8, AuditEvent.AuditEventOutcome._12
        }) {
            assertThat(mapping.map(e.setOutcome(o), HASH).outcome()).isEqualTo(AccessEntry.Outcome.DENIED);
        }
        assertThat(mapping.map(e.setOutcome(AuditEvent.AuditEventOutcome._0), HASH)
                        .outcome())
                .isEqualTo(AccessEntry.Outcome.ALLOWED);
    }

    @Test
    void aClientPostedAuditEventWithoutAddressOrEntitiesIsTheServersWithZeroKeys() {
        AuditEvent e = new AuditEvent();
        e.addAgent().setRequestor(true).getWho().setDisplay("someone");
        e.addAgent()
                .setRequestor(true)
                .getWho()
                .setIdentifier(new Identifier().setSystem("urn:other").setValue("0x" + "44".repeat(20)));
        entity(e, "3").setWhat(new Reference("Patient/123")); // a report, not the patient role
        entity(e, AuditShape.ROLE_PATIENT).setWhat(new Reference("http://elsewhere/fhir/Patient/5/_history/2"));
        entity(e, AuditShape.ROLE_DOMAIN_RESOURCE)
                .setWhat(new Reference().setIdentifier(new Identifier().setValue("not a reference")));
        AccessEntry a = mapping.map(e, HASH);
        assertThat(a.actor()).isEqualTo(SERVER.toLowerCase());
        assertThat(a.patient()).as("absolute, versioned reference: Type/id").isEqualTo(pn("Patient/5"));
        assertThat(a.resource()).isEqualTo(Bytes32.ZERO);
        assertThat(mapping.map(new AuditEvent(), HASH).patient()).isEqualTo(Bytes32.ZERO);
        assertThat(a.time()).isPositive();
    }
}
