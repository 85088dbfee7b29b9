package org.fhirledger.server.exchange;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.server.authz.AuthorizationUnavailableException;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * {@code GET /fhir/Patient/{id}/$locate}: which member institutions hold records for this patient — never what the
 * records are. The Patient is read through HAPI's DAO with the caller's request, so it answers exactly as a read of
 * it would (404 for a caller without the patient's consent, 410 once erased) and is audited as an access to the
 * patient. The members are those whose custodian accounts recorded entries on chain under the patient's consortium
 * pseudonym (the {@code RecordAppended} patient topic), as the directory names them, and this institution, which
 * holds the Patient. A patient without the shared identifier has no consortium pseudonym: the answer is this
 * institution alone, with {@code scope} {@code local} saying so.
 */
public final class LocateOperation {

    private final DaoRegistry daos;
    private final ConsortiumPseudonyms consortium;
    private final RecordLedger records;
    private final ConsortiumView members;
    private final String identifierSystem;

    LocateOperation(
            DaoRegistry daos,
            ConsortiumPseudonyms consortium,
            RecordLedger records,
            ConsortiumView members,
            String identifierSystem) {
        this.daos = daos;
        this.consortium = consortium;
        this.records = records;
        this.members = members;
        this.identifierSystem = identifierSystem;
    }

    @Description(
            shortDefinition =
                    "Lists the consortium's member institutions that hold records for this patient (not what they are),"
                            + " from the private chain's record entries under the patient's consortium pseudonym")
    @Operation(
            name = "$locate",
            idempotent = true,
            type = Patient.class,
            returnParameters = {
                @OperationParam(name = "scope", typeName = "code", min = 1, max = 1),
                @OperationParam(name = "note", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "institution", min = 0, max = OperationParam.MAX_UNLIMITED)
            })
    public Parameters locate(@IdParam IdType id, RequestDetails request) {
        Patient patient = daos.getResourceDao(Patient.class).read(id.toUnqualifiedVersionless(), request);
        Optional<Bytes32> shared = consortium.ofPatient(patient);
        Set<String> custodians = new TreeSet<>();
        custodians.add(members.self()); // it holds the Patient just read
        if (shared.isPresent()) {
            try {
                custodians.addAll(records.custodiansOfPatient(shared.get()));
            } catch (LedgerException down) {
                throw new AuthorizationUnavailableException(
                        "The ledger cannot be reached: the patient's records cannot be located now. Retry later.",
                        down);
            }
        }
        Parameters out = new Parameters();
        out.addParameter().setName("scope").setValue(new CodeType(shared.isPresent() ? "consortium" : "local"));
        if (shared.isEmpty()) {
            out.addParameter()
                    .setName("note")
                    .setValue(new StringType("The patient has no identifier in " + identifierSystem
                            + ", the consortium's shared patient identifier: other members cannot be asked about"
                            + " this patient, so only this institution is listed."));
        }
        List<Institution> all = members.members();
        for (String custodian : custodians) {
            Optional<Institution> member = all.stream()
                    .filter(m -> m.custodian().toLowerCase(Locale.ROOT).equals(custodian))
                    .findFirst();
            boolean self = custodian.equals(members.self());
            // a custodian that is no (longer an) active member is not named; this institution always is
            if (member.isEmpty() && !self) continue;
            Parameters.ParametersParameterComponent p = out.addParameter().setName("institution");
            p.addPart().setName("custodian").setValue(new StringType(custodian));
            member.ifPresent(m -> {
                p.addPart().setName("organization").setValue(new StringType(m.organization()));
                p.addPart().setName("fhirBaseUrl").setValue(new UriType(m.fhirBaseUrl()));
            });
            p.addPart().setName("self").setValue(new BooleanType(self));
        }
        return out;
    }
}
