package org.fhirledger.server.erasure;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.util.Date;
import org.fhirledger.server.record.AuditShape;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;

/**
 * The erasure's own AuditEvent (besides the one every request gets): who erased which patient, when, under which
 * ledger entry, and the salted hash of the reason, never its text (a reason may name the patient's condition).
 * The patient is named by identifier only, as the resource no longer exists. Like every AuditEvent its hash goes to
 * the access ledger.
 */
final class ErasureAudit {

    static final String SUBTYPE_SYSTEM = "https://fhir-ledger.org/CodeSystem/ledger-operation";

    private final DaoRegistry daos;

    ErasureAudit(DaoRegistry daos) {
        this.daos = daos;
    }

    void erased(ErasureRegistry.Erasure e, String requestor) {
        AuditEvent ae = new AuditEvent();
        ae.setType(new Coding(AuditShape.TYPE_SYSTEM, "rest", "Restful Operation"));
        ae.addSubtype(new Coding(SUBTYPE_SYSTEM, "erase", "erasure of a patient"));
        ae.setAction(AuditEvent.AuditEventAction.D);
        ae.setRecorded(new Date());
        ae.setOutcome(AuditEvent.AuditEventOutcome._0);
        Reference who = new Reference();
        if (requestor != null)
            who.setIdentifier(
                    new Identifier().setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM).setValue(requestor));
        ae.addAgent().setRequestor(true).setWho(who);
        ae.getSource().setObserver(new Reference().setDisplay("fhir-ledger"));
        AuditEvent.AuditEventEntityComponent entity = ae.addEntity()
                .setWhat(new Reference()
                        .setIdentifier(new Identifier()
                                .setSystem(AuditShape.REFERENCE_SYSTEM)
                                .setValue("Patient/" + e.patientId())))
                .setRole(new Coding(AuditShape.OBJECT_ROLE_SYSTEM, AuditShape.ROLE_PATIENT, "Patient"));
        entity.addDetail().setType("reasonHash").setValue(new StringType(e.reasonHash()));
        entity.addDetail()
                .setType("erasedAt")
                .setValue(new StringType(e.erasedAt().toString()));
        if (e.entryVersion() != null) {
            entity.addDetail()
                    .setType("erasureEntry")
                    .setValue(new StringType("Patient/" + e.patientId() + "/_history/" + e.entryVersion()));
        }
        daos.getResourceDao(AuditEvent.class).create(ae, new SystemRequestDetails());
    }
}
