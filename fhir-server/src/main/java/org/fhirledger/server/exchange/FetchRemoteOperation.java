package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.ledger.Role;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.authz.AuthorizationUnavailableException;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.authz.Subject;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code GET /fhir/Patient/{id}/$fetch-remote?member=…&_type=…}: this institution's clinician obtains the records
 * another member holds for this patient (docs/exchange.md, retrieval at B). The Patient is read here first with the
 * caller's request, so a clinician without the patient's consent here gets what a read gives (404). Then this server
 * asks the member for a token naming the clinician ({@link MemberAssertions}), finds the patient there by the shared
 * identifier, searches the requested types by its {@code patient} parameter, and shows a version only when its content
 * hash (the one stored form, {@link StoredForm}, hashed as the integrity check does) is among the entries the member's
 * custodian account recorded on chain under the patient's consortium pseudonym for that version. A version that is not
 * is left out, named in an OperationOutcome entry, and makes the request's AuditEvent here a failure.
 */
public final class FetchRemoteOperation {

    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{1,63}");

    private final DaoRegistry daos;
    private final FhirContext fhir;
    private final StoredForm storedForm;
    private final ConsortiumPseudonyms consortium;
    private final RecordLedger records;
    private final ConsortiumView members;
    private final MemberAssertions assertions;
    private final MemberClient client;
    private final RetrievalProperties settings;
    private final String identifierSystem;
    /** The offline route, or null when this server has no released keys to read with (no KeyRelease, no key). */
    private final OfflineRead offline;

    FetchRemoteOperation(
            DaoRegistry daos,
            FhirContext fhir,
            ConsortiumPseudonyms consortium,
            RecordLedger records,
            ConsortiumView members,
            MemberAssertions assertions,
            RetrievalProperties settings,
            String identifierSystem,
            OfflineRead offline) {
        this.offline = offline;
        this.daos = daos;
        this.fhir = fhir;
        this.storedForm = new StoredForm(fhir);
        this.consortium = consortium;
        this.records = records;
        this.members = members;
        this.assertions = assertions;
        this.client = new MemberClient(fhir, settings);
        this.settings = settings;
        this.identifierSystem = identifierSystem;
    }

    @Description(
            shortDefinition = "Fetches the records another consortium member holds for this patient, for this"
                    + " institution's clinician, showing only versions whose content hash matches the member's entry"
                    + " on the private chain")
    @Operation(
            name = "$fetch-remote",
            idempotent = true,
            type = Patient.class,
            returnParameters = {@OperationParam(name = "return", type = Bundle.class, min = 1, max = 1)})
    public Bundle fetch(
            @IdParam IdType id,
            @Description(shortDefinition = "The member: its custodian account or its Organization identifier")
                    @OperationParam(name = "member", min = 1, max = 1, typeName = "string")
                    StringType member,
            @Description(shortDefinition = "Comma-separated resource types to fetch (default: Patient)")
                    @OperationParam(name = "_type", min = 0, max = 1, typeName = "string")
                    StringType types,
            RequestDetails request) {
        Retrieval got = retrieve(id, member, types(types, true), request, true);
        Bundle out = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        for (Resource r : got.verified()) {
            out.addEntry()
                    .setFullUrl(got.base() + "/" + r.fhirType() + "/"
                            + r.getIdElement().getIdPart())
                    .setResource(r)
                    .getSearch()
                    .setMode(Bundle.SearchEntryMode.MATCH);
        }
        out.setTotal(out.getEntry().size());
        if (!got.issues().getIssue().isEmpty()) {
            out.addEntry().setResource(got.issues()).getSearch().setMode(Bundle.SearchEntryMode.OUTCOME);
        }
        return out;
    }

    /**
     * What a retrieval found: the Patient here (read as the caller), the member, its base URL, the patient's ids
     * there, the versions that passed the check against the chain, and what is to be said about the rest.
     */
    record Retrieval(
            Patient patient,
            Institution holder,
            String base,
            List<String> remotePatients,
            List<Resource> verified,
            OperationOutcome issues) {}

    /**
     * The retrieval both {@code $fetch-remote} and {@code $import-remote} make: the caller's checks, the member's
     * entries on chain, the token, the searches and the check of every version (see the class comment). A version
     * left out makes the request's AuditEvent a failure naming it.
     */
    Retrieval retrieve(IdType id, StringType member, Set<String> wanted, RequestDetails request) {
        return retrieve(id, member, wanted, request, false);
    }

    /**
     * @param offlineAllowed whether an unreachable member is read from the content store with a released key
     *                       (docs/exchange.md, custodian offline): {@code $fetch-remote} only
     */
    Retrieval retrieve(
            IdType id, StringType member, Set<String> wanted, RequestDetails request, boolean offlineAllowed) {
        String memberName = member == null ? null : member.getValue();
        if (memberName == null || memberName.isBlank()) {
            throw new InvalidRequestException("member is required: the custodian account or Organization identifier"
                    + " of the member to fetch from (see $institutions)");
        }
        RequestState state = RequestState.of(request);
        Subject subject = state == null ? null : state.subject();
        // checked before HAPI ran the operation (OperationRules); here for the case it is wired without them
        if (subject == null || !subject.has(Role.CLINICIAN) || subject.caller().actingThrough() != null) {
            throw new ForbiddenOperationException(request.getOperation() + " is for this institution's clinicians");
        }
        // default-deny: read as the caller reads it (404 without consent here, 410 once erased)
        Patient patient = daos.getResourceDao(Patient.class).read(id.toUnqualifiedVersionless(), request);
        if (patient == null) throw new ResourceNotFoundException(id.toUnqualifiedVersionless());
        Optional<Bytes32> shared = consortium.ofPatient(patient);
        String nationalId = patient.getIdentifier().stream()
                .filter(i -> identifierSystem.equals(i.getSystem()) && i.hasValue())
                .map(Identifier::getValue)
                .findFirst()
                .orElse(null);
        if (shared.isEmpty() || nationalId == null) {
            throw new UnprocessableEntityException("The patient has no identifier in " + identifierSystem
                    + ", the consortium's shared patient identifier: other members cannot be asked about this patient");
        }
        Institution holder = resolve(memberName.trim());
        String base = holder.fhirBaseUrl().replaceAll("/+$", "");
        if (state != null) {
            state.reason("retrieval from member " + holder.custodian().toLowerCase(Locale.ROOT) + " ("
                    + holder.organization() + "), types " + String.join(",", wanted));
        }

        // the member's entries under the patient's consortium pseudonym: what every version is checked against
        Map<Bytes32, List<RecordInfo>> onChain = new HashMap<>();
        List<RecordInfo> entries;
        try {
            entries = records.recordsOfPatient(holder.custodian(), shared.get());
            for (RecordInfo info : entries) {
                onChain.computeIfAbsent(info.entry().contentHash(), h -> new ArrayList<>())
                        .add(info);
            }
        } catch (LedgerException down) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached: the member's records cannot be checked now. Retry later.", down);
        }

        List<Resource> verified = new ArrayList<>();
        OperationOutcome issues = new OperationOutcome();
        List<String> refused = new ArrayList<>();
        List<String> remotePatients = new ArrayList<>();
        try {
            String token = client.token(
                    MemberAssertions.tokenEndpoint(base),
                    assertions.sign(
                            MemberAssertions.tokenEndpoint(base),
                            subject.caller().ledgerAddress(),
                            settings.assertionLifetime()));

            // the patient at the member, by the shared identifier: its search answers only patients the clinician may
            // see
            List<Patient> there = new ArrayList<>();
            for (Resource r : pages(
                    base,
                    base + "/Patient?identifier="
                            + URLEncoder.encode(identifierSystem + "|" + nationalId, StandardCharsets.UTF_8),
                    token,
                    issues)) {
                if (r instanceof Patient p) there.add(p);
            }
            if (there.isEmpty()) {
                issues.addIssue()
                        .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                        .setCode(OperationOutcome.IssueType.NOTFOUND)
                        .setDiagnostics("The member shows the caller no patient with this patient's shared identifier"
                                + " (none there, or no consent there for the caller)");
            }
            for (Patient p : there) {
                String remoteId = p.getIdElement().getIdPart();
                remotePatients.add(remoteId);
                for (String type : wanted) {
                    List<Resource> found = type.equals("Patient")
                            ? List.of(p)
                            : pages(
                                    base,
                                    base + "/" + type + "?patient=Patient/" + remoteId + "&_count=100",
                                    token,
                                    issues);
                    for (Resource r : found) {
                        if (!type.equals(r.fhirType())) continue; // e.g. an OperationOutcome of the member's own
                        String reference = r.fhirType() + "/" + r.getIdElement().getIdPart() + "/_history/"
                                + r.getIdElement().getVersionIdPart();
                        if (verified(r, onChain)) {
                            verified.add(r);
                        } else {
                            refused.add(reference);
                            issues.addIssue()
                                    .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                                    .setCode(OperationOutcome.IssueType.PROCESSING)
                                    .setDiagnostics("Left out " + base + "/" + reference + ": its content hash does not"
                                            + " match the member's entry for this version on the private chain (or there"
                                            + " is none)");
                        }
                    }
                }
            }
        } catch (MemberClient.MemberUnavailable down) {
            if (!offlineAllowed || offline == null) throw down;
            // the custodian is down: what it answered so far is dropped, the answer comes from the content store
            verified.clear();
            refused.clear();
            remotePatients.clear();
            issues = new OperationOutcome();
            if (state != null) {
                state.reason("retrieval from member " + holder.custodian().toLowerCase(Locale.ROOT) + " ("
                        + holder.organization() + "), types " + String.join(",", wanted)
                        + ", from the content store (member unreachable)");
            }
            try {
                offline.read(
                        holder,
                        base,
                        shared.get(),
                        subject.caller().ledgerAddress(),
                        wanted,
                        entries,
                        verified,
                        refused,
                        remotePatients,
                        issues);
            } catch (LedgerException chainDown) {
                throw new AuthorizationUnavailableException(
                        "The member cannot be reached, nor the ledger: retry later.", chainDown);
            }
        }
        if (!refused.isEmpty() && state != null) {
            state.failure(
                    "integrity check failed: versions from member "
                            + holder.custodian().toLowerCase(Locale.ROOT) + " do not match its ledger entries ("
                            + String.join(", ", refused) + ")",
                    "Patient/" + patient.getIdElement().getIdPart());
        }
        return new Retrieval(patient, holder, base, remotePatients, verified, issues);
    }

    /**
     * Whether this version's content hash is an entry the member recorded under the patient for this version: the
     * hash binds the type, id, version and content, the entry's version and the patient topic bind it to this patient.
     */
    private boolean verified(Resource r, Map<Bytes32, List<RecordInfo>> onChain) {
        String version = r.getIdElement().getVersionIdPart();
        if (version == null || !version.matches("[0-9]{1,18}")) return false;
        Bytes32 hash = CanonicalResource.contentHash(storedForm.of(r.copy()));
        long v = Long.parseLong(version);
        return onChain.getOrDefault(hash, List.of()).stream()
                .anyMatch(info -> info.entry().version() == v);
    }

    /** The resources of a search and its next pages (only pages under the member's base URL are followed). */
    private List<Resource> pages(String base, String first, String token, OperationOutcome issues) {
        List<Resource> out = new ArrayList<>();
        String url = first;
        for (int page = 0; url != null; page++) {
            if (page == settings.maxPages()) {
                issues.addIssue()
                        .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                        .setCode(OperationOutcome.IssueType.TOOCOSTLY)
                        .setDiagnostics("Only the first " + settings.maxPages() + " pages of a search were fetched");
                break;
            }
            Bundle b = client.search(url, token);
            for (Bundle.BundleEntryComponent e : b.getEntry()) {
                if (e.getResource() instanceof OperationOutcome oo) {
                    // the member's own word (e.g. a version it withheld): passed on as a warning
                    oo.getIssue()
                            .forEach(i -> issues.addIssue()
                                    .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                                    .setCode(i.getCode())
                                    .setDiagnostics("The member says: " + i.getDiagnostics()));
                } else if (e.getResource() != null) {
                    out.add(e.getResource());
                }
            }
            Bundle.BundleLinkComponent next = b.getLink(Bundle.LINK_NEXT);
            url = next == null
                            || !next.getUrl().startsWith(base + "?")
                                    && !next.getUrl().startsWith(base + "/")
                    ? null
                    : next.getUrl();
        }
        return out;
    }

    /** The member named by custodian account or Organization identifier; this institution is no member to ask. */
    private Institution resolve(String name) {
        Optional<Institution> found = name.matches("0x[0-9a-fA-F]{40}")
                ? members.member(name)
                : members.members().stream()
                        .filter(m -> m.organization().equals(name))
                        .findFirst();
        if (found.isEmpty()) {
            throw new ResourceNotFoundException(
                    "No active member of the consortium is " + name + " (see $institutions)");
        }
        if (found.get().custodian().equalsIgnoreCase(members.self())) {
            throw new InvalidRequestException("member names this institution: read its records directly");
        }
        return found.get();
    }

    /**
     * The types a {@code _type} parameter lists.
     *
     * @param patientAllowed false for an import: the Patient is this institution's own, never copied
     */
    Set<String> types(StringType param, boolean patientAllowed) {
        Set<String> out = new LinkedHashSet<>();
        if (param == null || param.getValue() == null || param.getValue().isBlank()) {
            if (!patientAllowed) {
                throw new InvalidRequestException("_type is required: the resource types to import (e.g. Observation)");
            }
            out.add("Patient");
            return out;
        }
        for (String t : param.getValue().split(",")) {
            String type = t.trim();
            if (!TYPE.matcher(type).matches() || !fhir.getResourceTypes().contains(type)) {
                throw new InvalidRequestException(
                        "_type lists resource types, comma-separated (e.g. Observation,Condition)");
            }
            if (!type.equals("Patient") && fhir.getResourceDefinition(type).getSearchParam("patient") == null) {
                throw new InvalidRequestException(
                        type + " has no patient search parameter: it cannot be fetched for a" + " patient");
            }
            if (!patientAllowed && type.equals("Patient")) {
                throw new InvalidRequestException("The Patient is not imported: the copies point at this institution's"
                        + " own Patient; list the other types to import");
            }
            out.add(type);
        }
        return out;
    }
}
