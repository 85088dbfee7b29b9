package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.MatchUrlService;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.util.UrlUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.ledger.Role;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * The criteria of a conditional create ({@code If-None-Exist}), update, patch or delete, and of a conditional
 * reference ({@code Patient?identifier=...} as a reference): HAPI matches them as the server, before any check, so
 * whatever it finds would show in the answer (a refusal, "matched 2 resources", a location). For a caller other
 * than the custodian they must first pass the search rule ({@link OperationRules#criteria}: a refusal that depends
 * on the criteria only); then the match is made here, as the caller would see it, and the criteria are narrowed to
 * the ids the caller may see ({@code &_id=...}; when none, a condition nothing meets), so HAPI finds exactly those:
 * a resource the caller may not see (one that is also another patient's) is not there for them.
 */
final class ConditionalCriteria {

    /** Beyond this many matches the criteria are too wide to be narrowed: the caller must name fewer. */
    private static final int MAX_MATCHES = 1000;

    private final FhirContext ctx;
    private final OperationRules rules;
    private final AccessPolicy policy;
    private final DaoRegistry daos;
    private final MatchUrlService matchUrls;
    private final ConsentedPatients listed;

    ConditionalCriteria(
            FhirContext ctx,
            OperationRules rules,
            AccessPolicy policy,
            DaoRegistry daos,
            MatchUrlService matchUrls,
            ConsentedPatients listed) {
        this.listed = listed;
        this.ctx = ctx;
        this.rules = rules;
        this.policy = policy;
        this.daos = daos;
        this.matchUrls = matchUrls;
    }

    /**
     * The criteria ({@code query}: the part after {@code ?}, as sent) to hand to HAPI instead.
     *
     * @throws ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException when the search rule refuses them
     */
    String narrow(Subject s, String type, String query, RequestState state) {
        if (s.has(Role.CUSTODIAN)) return query;
        if (type == null || !daos.isResourceTypeSupported(type)) return query; // HAPI refuses it as invalid
        Map<String, String[]> params = UrlUtil.parseQueryString(query);
        Decision d = rules.criteria(s, type, params, state);
        if (!d.allowed()) {
            if (state != null) state.denial(d.reason());
            throw Refusals.forbidden("conditional criteria are held to the search rule: " + d.reason());
        }
        SearchParameterMap map = matchUrls.translateMatchUrl(type + "?" + query, ctx.getResourceDefinition(type));
        map.setLoadSynchronousUpTo(MAX_MATCHES + 1);
        IBundleProvider found = daos.getResourceDao(type).search(map, new SystemRequestDetails());
        List<IBaseResource> matches = found.getResources(0, MAX_MATCHES + 1);
        if (matches.size() > MAX_MATCHES) {
            throw Refusals.forbidden(
                    "conditional criteria matching more than " + MAX_MATCHES + " resources: name fewer");
        }
        List<String> visible = new ArrayList<>();
        for (IBaseResource r : matches) {
            if (policy.canSee(s, r).allowed()) visible.add(r.getIdElement().getIdPart());
        }
        // none: a condition no resource meets that HAPI cannot test in memory (it tests the criteria of a conditional
        // create or update-as-create against the new resource, which an id that exists nowhere would fail)
        String suffix = visible.isEmpty()
                ? "&_has:Provenance:target:_id=" + nowhere(s, type, query)
                : "&_id=" + String.join(",", visible);
        if (state != null) state.narrowed(suffix);
        return query + suffix;
    }

    /**
     * A clinician's or patient's Patient search that names no patient (by name, identifier, birthdate, or nothing:
     * "my patients"): the ids of the patients the caller may see, to add as {@code _id}, so that HAPI matches the
     * criteria among those only and totals, paging, sort and includes are its own over the narrowed set. Nothing is
     * scanned: the candidates are a patient's own record and a clinician's listed patients ({@link
     * ConsentedPatients}), each checked as a read would be. Empty when the search is not narrowed here (it names its
     * patients, chains, or the caller is the custodian): the search rule then decides as before.
     */
    Optional<String[]> narrowPatientSearch(Subject s, Map<String, String[]> params) {
        if (s.has(Role.CUSTODIAN) || !(s.has(Role.CLINICIAN) || s.has(Role.PATIENT))) return Optional.empty();
        for (String key : params.keySet()) {
            if (key.equals("_id")
                    || key.startsWith("_id:")
                    || key.startsWith("_has")
                    || key.indexOf('.') >= 0
                    || key.equals("_getpages")) {
                return Optional.empty();
            }
        }
        Map<String, String[]> criteria = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (!RESULT_PARAMS.contains(k)) criteria.put(k, v);
        });
        List<String> visible = visiblePatients(s, byIdentifier(s, params));
        return Optional.of(
                new String[] {visible.isEmpty() ? nowhere(s, "Patient", query(criteria)) : String.join(",", visible)});
    }

    /**
     * A clinician's or patient's search of patient data other than Patient that names no patient
     * ({@code Observation?code=...}): the parameter and value to add so that HAPI matches the criteria among the data
     * of the patients the caller may see only ({@code patient=Patient/a,Patient/b}; a patient nobody is when none).
     * The parameter is the type's {@code patient}, else its one patient parameter; a type with several and no
     * {@code patient} is not narrowed (the search rule refuses it as before). Each match is still checked as a read
     * before it is shown (a resource is also whoever else it references). Empty when the search is not narrowed here:
     * the caller is the custodian or neither clinician nor patient, it names patients, chains, reverse-chains or is a
     * page of a search already run.
     */
    Optional<Map.Entry<String, String>> narrowOwnerSearch(Subject s, String type, Map<String, String[]> params) {
        if (s.has(Role.CUSTODIAN) || !(s.has(Role.CLINICIAN) || s.has(Role.PATIENT))) return Optional.empty();
        if (type == null
                || "Patient".equals(type)
                || "AuditEvent".equals(type)
                || AccessPolicy.DIRECTORY_TYPES.contains(type)
                || AccessPolicy.CUSTODIAN_ONLY_TYPES.contains(type)
                || !daos.isResourceTypeSupported(type)
                || !policy.compartments().isPatientData(type)) {
            return Optional.empty();
        }
        java.util.Set<String> scoping = policy.compartments().patientParams(type);
        Optional<String> owner = ownerParam(scoping);
        if (owner.isEmpty()) return Optional.empty();
        for (Map.Entry<String, String[]> p : params.entrySet()) {
            String key = p.getKey();
            int colon = key.indexOf(':');
            String name = colon < 0 ? key : key.substring(0, colon);
            if (key.startsWith("_has")
                    || key.indexOf('.') >= 0
                    || key.equals("_getpages")
                    || name.equals(owner.get())
                    || scoping.contains(name) && !namesOthersOnly(key, p.getValue())) {
                return Optional.empty();
            }
        }
        List<String> visible = visiblePatients(s);
        String value = visible.isEmpty()
                ? "Patient/" + nowhere(s, type, query(criteriaOf(params)))
                : String.join(",", visible.stream().map(id -> "Patient/" + id).toList());
        return Optional.of(Map.entry(owner.get(), value));
    }

    /**
     * Whether a patient parameter's values all name resources of another type ({@code performer=Practitioner/1}):
     * such a search names no patient. A bare id, a Patient, a modifier: it may name one, the search rule decides.
     */
    private static boolean namesOthersOnly(String key, String[] values) {
        if (key.indexOf(':') >= 0) return false;
        for (String value : values) {
            for (String v : value.split(",")) {
                if (v.indexOf('/') < 0 || Compartments.patientIdOf(v, false).isPresent()) return false;
            }
        }
        return true;
    }

    /** The search parameter a narrowed search names its patients with: {@code patient}, else the only one. */
    static Optional<String> ownerParam(java.util.Set<String> scoping) {
        if (scoping.contains("patient")) return Optional.of("patient");
        return scoping.size() == 1 ? Optional.of(scoping.iterator().next()) : Optional.empty();
    }

    /**
     * How many of a narrowed search's matches the caller may see, each checked as a read; empty beyond
     * {@value #MAX_MATCHES} matches (then the answer gets no total).
     */
    java.util.OptionalInt visibleMatches(Subject s, String type, Map<String, String[]> params) {
        SearchParameterMap map =
                matchUrls.translateMatchUrl(type + "?" + query(criteriaOf(params)), ctx.getResourceDefinition(type));
        map.setLoadSynchronousUpTo(MAX_MATCHES + 1);
        List<IBaseResource> matches = daos.getResourceDao(type)
                .search(map, new SystemRequestDetails())
                .getResources(0, MAX_MATCHES + 1);
        if (matches.size() > MAX_MATCHES) return java.util.OptionalInt.empty();
        int n = 0;
        for (IBaseResource r : matches) {
            if (policy.canSee(s, r).allowed()) n++;
        }
        return java.util.OptionalInt.of(n);
    }

    private static Map<String, String[]> criteriaOf(Map<String, String[]> params) {
        Map<String, String[]> criteria = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (!RESULT_PARAMS.contains(k)) criteria.put(k, v);
        });
        return criteria;
    }

    /** Candidates read per database query. */
    private static final int CHUNK = 500;

    /**
     * The ids of the patients the caller may see: their own record, and a clinician's listed patients that the
     * chain (or an open break-glass window) still allows; a listed patient it no longer allows leaves the list.
     */
    List<String> visiblePatients(Subject s) {
        return visiblePatients(s, List.of());
    }

    /**
     * Another member's clinician has no listed patients here (consents are granted to them on chain, not through this
     * server's Consents): when their Patient search gives an identifier (system and value), the patients holding it are
     * the candidates, each still checked as a read would be. This is how a member finds a patient by the consortium's
     * shared identifier (docs/exchange.md, retrieval).
     */
    private List<String> byIdentifier(Subject s, Map<String, String[]> params) {
        String[] values = params.get("identifier");
        if (s.caller().actingThrough() == null || values == null) return List.of();
        List<String> ids = new ArrayList<>();
        for (String value : values) {
            for (String one : value.split(",")) {
                int bar = one.indexOf('|');
                if (bar <= 0 || bar == one.length() - 1) continue; // a system and a value, nothing vaguer
                SearchParameterMap map = matchUrls.translateMatchUrl(
                        "Patient?identifier=" + UrlUtil.escapeUrlParam(one), ctx.getResourceDefinition("Patient"));
                map.setLoadSynchronousUpTo(CHUNK);
                for (IBaseResource r : daos.getResourceDao("Patient")
                        .search(map, new SystemRequestDetails())
                        .getResources(0, CHUNK)) {
                    ids.add(r.getIdElement().getIdPart());
                }
            }
        }
        return ids;
    }

    private List<String> visiblePatients(Subject s, List<String> extra) {
        java.util.SortedSet<String> candidates = new java.util.TreeSet<>(extra);
        String self = s.patientId();
        if (self != null) candidates.add(self);
        if (s.has(Role.CLINICIAN)) candidates.addAll(listed.of(s.address()));
        List<String> ids = List.copyOf(candidates);
        List<String> visible = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
            SearchParameterMap map = matchUrls.translateMatchUrl(
                    "Patient?_id=" + UrlUtil.escapeUrlParam(String.join(",", chunk)),
                    ctx.getResourceDefinition("Patient"));
            map.setLoadSynchronousUpTo(chunk.size());
            for (IBaseResource r : daos.getResourceDao("Patient")
                    .search(map, new SystemRequestDetails())
                    .getResources(0, chunk.size())) {
                String id = r.getIdElement().getIdPart();
                if (policy.canSee(s, r).allowed()) {
                    visible.add(id);
                } else if (s.has(Role.CLINICIAN)
                        && !id.equals(self)
                        && !policy.canReadPatient(s, id, "Patient").allowed()) {
                    listed.remove(s.address(), id); // consent revoked or expired, window closed
                }
            }
        }
        return visible;
    }

    private static String query(Map<String, String[]> params) {
        StringBuilder b = new StringBuilder();
        params.forEach((k, vs) -> {
            for (String v : vs) {
                if (b.length() > 0) b.append('&');
                b.append(UrlUtil.escapeUrlParam(k)).append('=').append(UrlUtil.escapeUrlParam(v));
            }
        });
        return b.toString();
    }

    /** Parameters shaping a search's answer, not which resources match. */
    private static final java.util.Set<String> RESULT_PARAMS = java.util.Set.of(
            "_count",
            "_sort",
            "_summary",
            "_elements",
            "_include",
            "_revinclude",
            "_total",
            "_format",
            "_pretty",
            "_offset",
            "_contained",
            "_containedType",
            "_include:iterate",
            "_revinclude:iterate");

    /**
     * An id no resource has, the same for the same caller and criteria (so HAPI's guard against two concurrent
     * conditional creates of the same criteria still works for them) and never another caller's.
     */
    private static String nowhere(Subject s, String type, String query) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((s.address() + "|" + type + "?" + query).getBytes(StandardCharsets.UTF_8));
            return "none-" + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
