package org.fhirledger.server.erasure;

import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.fhirledger.server.authz.RequestState;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code POST Patient/[id]/$erase} with a required {@code reason} (valueString). Only the custodian gets here (the
 * authorisation layer refuses everyone else). Answers the erasure: its time, the ledger entry that records it, and
 * the pseudonym under which the chain knows the patient.
 */
public final class EraseOperation {

    private final ErasureService service;

    EraseOperation(ErasureService service) {
        this.service = service;
    }

    @Description(
            shortDefinition =
                    "Erases a patient's data (right to erasure): content destroyed, the chain keeps hashes only")
    @Operation(
            name = "$erase",
            type = Patient.class,
            returnParameters = {
                @OperationParam(name = "status", typeName = "code", min = 1, max = 1),
                @OperationParam(name = "erasedAt", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "patient", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "erasureEntry", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "reasonHash", typeName = "string", min = 1, max = 1)
            })
    public Parameters erase(
            @IdParam IdType id,
            @OperationParam(name = "reason", min = 1, max = 1, typeName = "string") StringType reason,
            RequestDetails request) {
        if (reason == null || reason.getValue() == null || reason.getValue().isBlank()) {
            throw new InvalidRequestException(
                    "$erase needs a reason: Parameters with parameter 'reason' (valueString)");
        }
        RequestState state = RequestState.of(request);
        String requestor = state == null || state.subject() == null
                ? null
                : state.subject().address();
        ErasureRegistry.Erasure e = service.erase(id.getIdPart(), reason.getValue(), requestor);
        Parameters p = new Parameters();
        p.addParameter().setName("status").setValue(new CodeType("erased"));
        p.addParameter()
                .setName("erasedAt")
                .setValue(new StringType(e.erasedAt().toString()));
        p.addParameter().setName("patient").setValue(new StringType(e.patient().toHex()));
        if (e.entryVersion() != null) {
            p.addParameter()
                    .setName("erasureEntry")
                    .setValue(new StringType("Patient/" + e.patientId() + "/_history/" + e.entryVersion()));
        }
        p.addParameter().setName("reasonHash").setValue(new StringType(e.reasonHash()));
        return p;
    }
}
