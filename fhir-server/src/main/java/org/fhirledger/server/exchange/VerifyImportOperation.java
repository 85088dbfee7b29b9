package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.authz.AuthorizationUnavailableException;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * {@code GET /fhir/Provenance/{id}/$verify-import}: whether an imported copy is what the member recorded
 * (docs/exchange.md, import with Provenance). The Provenance and the copy are read with the caller's request (so whoever
 * may see them may check them, and no one else), then: the kept stored form hashes to the kept hash; it is the version
 * the source URL names; the member's custodian recorded that hash for that version on chain under the patient's
 * consortium pseudonym; and the copy's version equals the stored form under the rewrite the Provenance records.
 */
public final class VerifyImportOperation {

    private static final Pattern SOURCE =
            Pattern.compile(".*/([A-Z][A-Za-z]+)/([A-Za-z0-9\\-.]{1,64})/_history/([0-9]{1,18})");

    private final DaoRegistry daos;
    private final FhirContext fhir;
    private final RecordLedger records;
    private final ConsortiumPseudonyms consortium;

    VerifyImportOperation(DaoRegistry daos, FhirContext fhir, RecordLedger records, ConsortiumPseudonyms consortium) {
        this.daos = daos;
        this.fhir = fhir;
        this.records = records;
        this.consortium = consortium;
    }

    @Description(
            shortDefinition = "Checks an imported copy against the member's version its Provenance names: the kept"
                    + " stored form's hash, the member custodian's entry on the private chain, and the copy's content"
                    + " up to the documented rewrite (id, meta, references)")
    @Operation(
            name = "$verify-import",
            idempotent = true,
            type = Provenance.class,
            returnParameters = {
                @OperationParam(name = "result", type = BooleanType.class, min = 1, max = 1),
                @OperationParam(name = "reason", type = StringType.class, min = 0, max = 1),
                @OperationParam(name = "source", type = UriType.class, min = 0, max = 1),
                @OperationParam(name = "copy", type = StringType.class, min = 0, max = 1)
            })
    public Parameters verify(@IdParam IdType id, RequestDetails request) {
        Provenance p = daos.getResourceDao(Provenance.class).read(id.toUnqualifiedVersionless(), request);
        if (p == null) throw new ResourceNotFoundException(id.toUnqualifiedVersionless());
        Parameters out = new Parameters();
        Provenance.ProvenanceEntityComponent source = ImportedCopies.source(p);
        if (source == null) return failed(out, "This Provenance records no import (no source entity with a kept form)");
        String url = source.getWhat().getIdentifier().getValue();
        out.addParameter().setName("source").setValue(new UriType(url));
        String custodian = text(source.getExtensionByUrl(ImportedCopies.SOURCE_CUSTODIAN));
        String hash = text(source.getExtensionByUrl(ImportedCopies.SOURCE_CONTENT_HASH));
        String form = text(source.getExtensionByUrl(ImportedCopies.SOURCE_STORED_FORM));
        Matcher m = url == null ? null : SOURCE.matcher(url);
        if (custodian == null || hash == null || form == null || m == null || !m.matches()) {
            return failed(
                    out, "The Provenance lacks the member's custodian, content hash, stored form or versioned URL");
        }
        byte[] received;
        try {
            received = Base64.getDecoder().decode(form);
        } catch (IllegalArgumentException e) {
            return failed(out, "The kept stored form is no Base64");
        }
        Bytes32 recomputed = CanonicalResource.contentHash(received);
        if (!recomputed.toHex().equalsIgnoreCase(hash)) {
            return failed(out, "The kept stored form does not hash to the recorded content hash");
        }
        Resource remote;
        try {
            remote = (Resource) fhir.newJsonParser().parseResource(new String(received, StandardCharsets.UTF_8));
        } catch (DataFormatException | ClassCastException e) {
            return failed(out, "The kept stored form is no FHIR resource");
        }
        if (!remote.fhirType().equals(m.group(1))
                || !m.group(2).equals(remote.getIdElement().getIdPart())
                || !m.group(3).equals(remote.getMeta().getVersionId())) {
            return failed(out, "The kept stored form is not the version the source URL names");
        }

        Reference copyRef = null;
        String patientRef = null;
        for (Reference t : p.getTarget()) {
            if (t.getReference() == null) continue;
            if (t.getReference().startsWith("Patient/")) patientRef = t.getReference();
            else copyRef = t;
        }
        if (copyRef == null || patientRef == null) return failed(out, "The Provenance names no copy or no patient");
        out.addParameter().setName("copy").setValue(new StringType(copyRef.getReference()));

        // the member's entry: the patient's consortium pseudonym, as the retrieval checked it
        Patient patient = daos.getResourceDao(Patient.class).read(new IdType(patientRef), request);
        if (patient == null) throw new ResourceNotFoundException(new IdType(patientRef));
        Optional<Bytes32> shared = consortium.ofPatient(patient);
        if (shared.isEmpty()) return failed(out, "The patient has no shared identifier: no entry can be looked up");
        long version = Long.parseLong(m.group(3));
        boolean onChain;
        try {
            onChain = records.recordsOfPatient(custodian, shared.get()).stream()
                    .anyMatch(i -> i.entry().version() == version
                            && i.entry().contentHash().equals(recomputed));
        } catch (LedgerException down) {
            throw new AuthorizationUnavailableException("The ledger cannot be reached: retry later.", down);
        }
        if (!onChain) {
            return failed(
                    out,
                    "The member's custodian recorded no entry with this hash for this version under the" + " patient");
        }

        // the copy as it is now: a change made here after the import (a new version) is a failure too
        IdType copyId = new IdType(copyRef.getReference());
        IBaseResource copy = copyId.hasVersionIdPart() && copyId.hasResourceType()
                ? daos.getResourceDao(copyId.getResourceType()).read(copyId.toVersionless(), request)
                : null;
        if (copy == null) return failed(out, "The copy the Provenance names is not here");
        if (!copyId.getVersionIdPart().equals(copy.getIdElement().getVersionIdPart())) {
            return failed(
                    out,
                    "The copy changed after this import: it is at version "
                            + copy.getIdElement().getVersionIdPart() + " here, the import stored version "
                            + copyId.getVersionIdPart());
        }
        Resource expected = remote.copy();
        ImportedCopies.rewrite(fhir, expected, baseOf(url, m), ImportedCopies.mapping(p));
        Resource actual = ((Resource) copy).copy();
        actual.setId((IdType) null);
        actual.setMeta(null);
        String want = fhir.newJsonParser().encodeResourceToString(expected);
        String have = fhir.newJsonParser().encodeResourceToString(actual);
        if (!want.equals(have)) {
            return failed(out, "The copy differs from the member's version beyond the documented rewrite");
        }
        out.addParameter().setName("result").setValue(new BooleanType(true));
        return out;
    }

    private static String baseOf(String url, Matcher m) {
        return url.substring(0, m.start(1) - 1);
    }

    private static String text(Extension e) {
        return e != null && e.getValue() instanceof PrimitiveType<?> v ? v.getValueAsString() : null;
    }

    private static Parameters failed(Parameters out, String reason) {
        out.addParameter().setName("result").setValue(new BooleanType(false));
        out.addParameter().setName("reason").setValue(new StringType(reason));
        return out;
    }
}
