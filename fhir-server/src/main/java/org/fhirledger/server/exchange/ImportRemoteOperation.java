package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.model.DaoMethodOutcome;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.fhirledger.ledger.Institution;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Base64BinaryType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code POST /fhir/Patient/{id}/$import-remote} with {@code member} and {@code _type}: the retrieval of
 * {@code $fetch-remote} ({@link FetchRemoteOperation#retrieve}), after which every verified version is stored here as
 * a copy with a Provenance naming the member's version, its ledger entry's custodian and hash, and the bytes received
 * (docs/exchange.md, import with Provenance). The copies are written with the caller's request, so they are
 * authorised, recorded on this institution's ledger and audited as the caller's creates and updates, all in one
 * database transaction: a refusal or failure of any one stores nothing.
 */
public final class ImportRemoteOperation {

    private final FetchRemoteOperation retrieval;
    private final DaoRegistry daos;
    private final FhirContext fhir;
    private final StoredForm storedForm;
    private final IHapiTransactionService transactions;
    private final ImportLocks locks;

    ImportRemoteOperation(
            FetchRemoteOperation retrieval,
            DaoRegistry daos,
            FhirContext fhir,
            IHapiTransactionService transactions,
            ImportLocks locks) {
        this.retrieval = retrieval;
        this.locks = locks;
        this.daos = daos;
        this.fhir = fhir;
        this.storedForm = new StoredForm(fhir);
        this.transactions = transactions;
    }

    /** One version to store: the member's, the copy's id here, whether a copy exists and is of this version. */
    private record Plan(Resource remote, String sourceUrl, String tag, String localId, boolean exists, boolean same) {}

    @Description(
            shortDefinition = "Fetches the records another consortium member holds for this patient as $fetch-remote"
                    + " does, and stores each verified version here as a copy with a Provenance naming the member's"
                    + " version, its ledger entry and the bytes received; all or nothing, idempotent")
    @Operation(
            name = "$import-remote",
            idempotent = false,
            type = Patient.class,
            returnParameters = {@OperationParam(name = "return", type = Bundle.class, min = 1, max = 1)})
    public Bundle importRemote(
            @IdParam IdType id,
            @Description(shortDefinition = "The member: its custodian account or its Organization identifier")
                    @OperationParam(name = "member", min = 1, max = 1, typeName = "string")
                    StringType member,
            @Description(shortDefinition = "Comma-separated resource types to import (not Patient)")
                    @OperationParam(name = "_type", min = 1, max = 1, typeName = "string")
                    StringType types,
            RequestDetails request) {
        FetchRemoteOperation.Retrieval got = retrieval.retrieve(id, member, retrieval.types(types, false), request);
        String custodian = got.holder().custodian().toLowerCase(Locale.ROOT);
        String patientHere = "Patient/" + got.patient().getIdElement().getIdPart();
        OperationOutcome issues = got.issues();

        // the member's patient is this one; each copy gets the id of its earlier copy, or a new one of this server's
        Map<String, String> mapping = new LinkedHashMap<>();
        for (String remote : got.remotePatients()) mapping.put("Patient/" + remote, patientHere);
        List<String> tags = new ArrayList<>();
        for (Resource r : got.verified()) {
            tags.add(custodian + "/" + r.fhirType() + "/" + r.getIdElement().getIdPart());
        }
        List<String> notes = new ArrayList<>();
        Bundle out = new Bundle().setType(Bundle.BundleType.COLLECTION);
        transactions.withRequest(request).execute(() -> {
            // whether a copy exists is decided under the lock of each member resource, held until this transaction
            // ends: a concurrent import of the same version waits, then finds this one's copy
            locks.lockForTransaction(tags);
            List<Plan> plans = plan(got, custodian, mapping);
            for (Plan plan : order(plans, got.base(), mapping)) {
                if (plan.same()) {
                    notes.add(plan.sourceUrl() + " is already here as "
                            + plan.remote().fhirType() + "/" + plan.localId() + ": nothing stored");
                    continue;
                }
                byte[] received = storedForm.of(plan.remote().copy());
                Resource copy = plan.remote().copy();
                List<String> dropped = ImportedCopies.rewrite(fhir, copy, got.base(), mapping);
                for (String d : dropped) {
                    notes.add("In the copy of " + plan.sourceUrl() + ", the reference " + d
                            + " was removed: it names nothing imported here");
                }
                copy.setId(plan.remote().fhirType() + "/" + plan.localId());
                copy.setMeta(new Meta().addTag(ImportedCopies.IMPORTED_FROM, plan.tag(), null));
                DaoMethodOutcome stored = daos.getResourceDao(copy.fhirType()).update(copy, request);
                IdType version = new IdType(stored.getId().getValue()).toUnqualified();
                Provenance provenance = provenance(
                        version,
                        patientHere,
                        plan,
                        received,
                        CanonicalResource.contentHash(received).toString(),
                        got.holder(),
                        request,
                        mapping,
                        got.base());
                DaoMethodOutcome recorded =
                        daos.getResourceDao(Provenance.class).create(provenance, request);
                Resource shownCopy = stored.getResource() instanceof Resource r ? r : copy;
                out.addEntry().setFullUrl(version.toVersionless().getValue()).setResource(shownCopy);
                provenance.setId(recorded.getId().toUnqualified());
                out.addEntry()
                        .setFullUrl(recorded.getId().toUnqualifiedVersionless().getValue())
                        .setResource(provenance);
            }
        });
        for (String note : notes) {
            issues.addIssue()
                    .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics(note);
        }
        if (!issues.getIssue().isEmpty()) out.addEntry().setResource(issues);
        return out;
    }

    /** One plan per verified version, each copy's id here (its earlier copy's, or a new one) added to the mapping. */
    private List<Plan> plan(FetchRemoteOperation.Retrieval got, String custodian, Map<String, String> mapping) {
        List<Plan> plans = new ArrayList<>();
        SystemRequestDetails system = new SystemRequestDetails();
        for (Resource r : got.verified()) {
            String type = r.fhirType();
            String remoteId = r.getIdElement().getIdPart();
            String sourceUrl = got.base() + "/" + type + "/" + remoteId + "/_history/"
                    + r.getIdElement().getVersionIdPart();
            String tag = custodian + "/" + type + "/" + remoteId;
            IFhirResourceDao<IBaseResource> dao = daos.getResourceDao(type);
            List<IBaseResource> earlier = dao.search(
                            SearchParameterMap.newSynchronous(
                                    "_tag", new TokenParam(ImportedCopies.IMPORTED_FROM, tag)),
                            system)
                    .getAllResources();
            String localId = earlier.isEmpty()
                    ? "imp-" + UUID.randomUUID()
                    : earlier.get(0).getIdElement().getIdPart();
            boolean same = !earlier.isEmpty() && importedAlready(type + "/" + localId, sourceUrl, system);
            mapping.put(type + "/" + remoteId, type + "/" + localId);
            plans.add(new Plan(r, sourceUrl, tag, localId, !earlier.isEmpty(), same));
        }
        return plans;
    }

    /** Whether a Provenance of this copy names this very version of the member's as its source. */
    private boolean importedAlready(String copy, String sourceUrl, SystemRequestDetails system) {
        for (IBaseResource r : daos.getResourceDao(Provenance.class)
                .search(SearchParameterMap.newSynchronous("target", new ReferenceParam(copy)), system)
                .getAllResources()) {
            Provenance.ProvenanceEntityComponent source = ImportedCopies.source((Provenance) r);
            if (source != null
                    && sourceUrl.equals(source.getWhat().getIdentifier().getValue())) return true;
        }
        return false;
    }

    /**
     * The plans with a copy that another copy references first: the reference must name a stored resource when it
     * is written (referential integrity). A cycle keeps the order received (its first write is then refused, and the
     * whole import with it).
     */
    private List<Plan> order(List<Plan> plans, String base, Map<String, String> mapping) {
        Map<String, Plan> byLocal = new HashMap<>();
        for (Plan p : plans) byLocal.put(p.remote().fhirType() + "/" + p.localId(), p);
        Set<Plan> done = new LinkedHashSet<>();
        for (Plan p : plans) visit(p, byLocal, base, mapping, done, new LinkedHashSet<>());
        return new ArrayList<>(done);
    }

    private void visit(
            Plan p,
            Map<String, Plan> byLocal,
            String base,
            Map<String, String> mapping,
            Set<Plan> done,
            Set<Plan> path) {
        if (done.contains(p) || !path.add(p)) return;
        for (Reference ref : fhir.newTerser().getAllPopulatedChildElementsOfType(p.remote(), Reference.class)) {
            String key = ImportedCopies.key(ref.getReference(), base);
            Plan target = key == null ? null : byLocal.get(mapping.get(key));
            if (target != null && target != p) visit(target, byLocal, base, mapping, done, path);
        }
        done.add(p);
    }

    private Provenance provenance(
            IdType copy,
            String patientHere,
            Plan plan,
            byte[] received,
            String contentHash,
            Institution holder,
            RequestDetails request,
            Map<String, String> mapping,
            String base) {
        Provenance p = new Provenance();
        // the copy's version, and the Patient: the Provenance is in the patient's compartment as the copy is
        p.addTarget(new Reference(copy.getValue()));
        p.addTarget(new Reference(patientHere));
        p.setRecorded(new Date());
        p.setActivity(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                plan.exists() ? "UPDATE" : "CREATE",
                plan.exists() ? "revise" : "create")));
        // the caller was established by the retrieval (a clinician of this institution)
        String clinician = RequestState.of(request).subject().caller().ledgerAddress();
        // by identifier with their type: a Practitioner or Organization is nobody's patient data, and neither needs
        // a resource here
        Provenance.ProvenanceAgentComponent who = p.addAgent();
        who.setType(new CodeableConcept(
                new Coding("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author")));
        who.setWho(new Reference()
                .setType("Practitioner")
                .setIdentifier(new Identifier()
                        .setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM)
                        .setValue(clinician)));
        who.setOnBehalfOf(member(holder));
        Provenance.ProvenanceAgentComponent source = p.addAgent();
        source.setType(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "custodian", "Custodian")));
        source.setWho(member(holder));
        Provenance.ProvenanceEntityComponent entity = p.addEntity();
        entity.setRole(Provenance.ProvenanceEntityRole.SOURCE);
        entity.setWhat(new Reference()
                .setType(plan.remote().fhirType())
                .setIdentifier(
                        new Identifier().setSystem(PatientLinks.URI_SYSTEM).setValue(plan.sourceUrl())));
        entity.addExtension(
                ImportedCopies.SOURCE_CUSTODIAN,
                new StringType(holder.custodian().toLowerCase(Locale.ROOT)));
        entity.addExtension(ImportedCopies.SOURCE_CONTENT_HASH, new StringType(contentHash));
        entity.addExtension(
                ImportedCopies.SOURCE_STORED_FORM,
                new Base64BinaryType(Base64.getEncoder().encodeToString(received)));
        for (Map.Entry<String, String> e : mapping.entrySet()) {
            // only the rewrites this version needed
            if (mentions(plan.remote(), base, e.getKey())) {
                p.addExtension(ImportedCopies.rewritten(e.getKey(), e.getValue()));
            }
        }
        return p;
    }

    private boolean mentions(Resource r, String base, String key) {
        for (Reference ref : fhir.newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
            if (key.equals(ImportedCopies.key(ref.getReference(), base))) return true;
        }
        return false;
    }

    /** The member as an Organization by identifier (its custodian account). */
    private static Reference member(Institution holder) {
        return new Reference()
                .setType("Organization")
                .setIdentifier(new Identifier()
                        .setSystem("https://fhir-ledger.org/sid/custodian-account")
                        .setValue(holder.custodian().toLowerCase(Locale.ROOT)))
                .setDisplay(holder.organization());
    }
}
