package org.fhirledger.server.authz;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.Instant;
import java.util.Date;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code POST /fhir/Patient/{id}/$break-glass} with a {@code reason}: opens a short window in which the calling
 * clinician may read and write that patient's data without consent. The request and every access in the window are
 * audited with purpose of use BTG (break the glass).
 */
public final class BreakGlassProvider {

    static final int MAX_REASON = 1000;

    private final BreakGlassWindows windows;
    private final DaoRegistry daos;

    private final ConsentedPatients listed;

    BreakGlassProvider(BreakGlassWindows windows, DaoRegistry daos, ConsentedPatients listed) {
        this.listed = listed;
        this.windows = windows;
        this.daos = daos;
    }

    @Description(
            shortDefinition =
                    "Opens a short, audited window in which the calling clinician may access this patient without consent")
    @Operation(
            name = "$break-glass",
            idempotent = false,
            type = Patient.class,
            returnParameters = {
                @OperationParam(name = "patient", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "expires", typeName = "dateTime", min = 1, max = 1)
            })
    public Parameters breakGlass(
            @IdParam IdType patient,
            @OperationParam(name = "reason", min = 1, max = 1) StringType reason,
            RequestDetails rd) {
        String text = reason == null ? null : reason.getValue();
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException(
                    "$break-glass needs a reason (Parameters.parameter 'reason', valueString)");
        }
        if (text.length() > MAX_REASON) {
            throw new InvalidRequestException("$break-glass reason is longer than " + MAX_REASON + " characters");
        }
        daos.getResourceDao(Patient.class)
                .read(patient.toUnqualifiedVersionless(), new SystemRequestDetails()); // 404/410
        RequestState state = RequestState.of(rd);
        Subject s = state == null ? null : state.subject();
        if (s == null) throw new IllegalStateException("break-glass without an authorised subject");
        Instant until = windows.open(s.address(), patient.getIdPart());
        listed.add(s.address(), patient.getIdPart()); // among their patients while the window is open
        state.markBreakGlass();
        state.reason(text.strip());
        Parameters out = new Parameters();
        out.addParameter().setName("patient").setValue(new StringType("Patient/" + patient.getIdPart()));
        out.addParameter().setName("expires").setValue(new DateTimeType(Date.from(until)));
        return out;
    }
}
