package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.transaction.TransactionLocal;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Identifier;
import org.springframework.transaction.support.TransactionSynchronization;

/**
 * Whose data a resource is, decided from the data ({@link PatientLinks}) and not only from the patient
 * compartment definition: every Patient it references by id anywhere, every stored Patient a reference by
 * identifier names, and the patients of the resources it references whose types can carry patient data
 * (Provenance.target, List.entry, Group.member, Task.focus, an Observation's encounter, ...), one link deep: of a
 * linked resource only its own references count. When that cannot be established (a contained Patient, a
 * reference by display or by an identifier no stored Patient has, another server's URL, a linked resource that is
 * not stored or names its patient only further away) the resource is <em>unresolved</em>: the custodian's only.
 */
public final class Compartments {

    /** Reads as the server, without authorisation: what the ownership of a resource depends on. */
    public interface Lookup {
        Optional<IBaseResource> read(String type, String id);

        /** The ids of the stored Patients with this identifier. */
        Set<String> patientsWithIdentifier(String system, String value);

        /**
         * The current version of a stored, not deleted resource without reading it, as {@code version@lastUpdated}
         * (lastUpdated in epoch milliseconds, as its {@code meta.lastUpdated}); empty if there is none. Asked on write
         * paths too: it must see the changes of the caller's own transaction, flushed or not.
         */
        default Optional<String> currentVersion(String type, String id) {
            return read(type, id)
                    .map(r -> r.getIdElement().getVersionIdPart() + "@"
                            + (r.getMeta().getLastUpdated() == null
                                    ? ""
                                    : r.getMeta().getLastUpdated().getTime()));
        }
    }

    /**
     * The patients a resource belongs to, and whether that could be established at all.
     *
     * @param pending a placeholder or conditional reference HAPI replaces while storing: known at commit only
     */
    public record Ownership(Set<String> patients, boolean unresolved, boolean pending) {}

    private final FhirContext ctx;
    private final PatientLinks links;
    private final Lookup lookup;
    private final Map<String, Set<String>> paramsByType = new ConcurrentHashMap<>();
    /**
     * The pointers at patients of stored versions, by type, id, version and the version's lastUpdated: a version's
     * content never changes, so neither do they. Never by id alone (replicas share the database: another one's
     * update would not be seen), and only the content's own pointers: whose the linked resources are is looked up
     * each time, since they change without this resource changing. lastUpdated tells a version 1 re-created after
     * an expunge from the one before.
     */
    private final Cache<String, PatientLinks.Found> storedLinks;
    /** Without the cache, asking for a linked resource's version before reading it would only add a query. */
    private final boolean versionFirst;
    /** The versions the transaction in progress wrote, with their pointers ({@link Written}). */
    private final TransactionLocal<Written> written = new TransactionLocal<>(Written::new);

    public Compartments(FhirContext ctx, PatientLinks links, Lookup lookup) {
        this(ctx, links, lookup, 10_000);
    }

    /** @param storedLinksSize how many stored versions' pointers to keep; 0: none */
    public Compartments(FhirContext ctx, PatientLinks links, Lookup lookup, int storedLinksSize) {
        this.ctx = ctx;
        this.links = links;
        this.lookup = lookup;
        this.storedLinks = Caffeine.newBuilder().maximumSize(storedLinksSize).build();
        this.versionFirst = storedLinksSize > 0;
    }

    /**
     * The search parameters that name the patients whose data a search of this type finds: those putting the type in
     * the patient compartment (plus {@code patient}, which many types have as a Patient-only variant of
     * {@code subject}); for a type outside the compartment that can carry patient data, its reference parameters
     * that can target Patient. Empty if none.
     */
    public Set<String> patientParams(String resourceType) {
        return paramsByType.computeIfAbsent(resourceType, type -> {
            Set<String> names = new LinkedHashSet<>();
            RuntimeResourceDefinition def;
            try {
                def = ctx.getResourceDefinition(type);
            } catch (RuntimeException e) {
                return Set.of();
            }
            for (RuntimeSearchParam p : def.getSearchParams()) {
                if (p.getProvidesMembershipInCompartments() != null
                        && p.getProvidesMembershipInCompartments().contains("Patient")) {
                    names.add(p.getName());
                }
            }
            if (!names.isEmpty() && def.getSearchParams().stream().anyMatch(p -> "patient".equals(p.getName()))) {
                names.add("patient");
            }
            if (names.isEmpty() && links.canCarryPatientData(type)) {
                for (RuntimeSearchParam p : def.getSearchParams()) {
                    if (p.getParamType() == RestSearchParameterTypeEnum.REFERENCE
                            && p.getTargets().contains("Patient")) {
                        names.add(p.getName());
                    }
                }
            }
            return Set.copyOf(names);
        });
    }

    /**
     * Whether resources of this type are treated as patient data: Patient, the compartment's types, and every type
     * the FHIR model lets point at a patient, except the directory and the definitions (which hold patient data
     * only by accident, caught per resource by {@link #ownership}).
     */
    public boolean isPatientData(String resourceType) {
        if ("Patient".equals(resourceType)) return true;
        if (AccessPolicy.DIRECTORY_TYPES.contains(resourceType)
                || AccessPolicy.DEFINITION_TYPES.contains(resourceType)) {
            return false;
        }
        return links.canCarryPatientData(resourceType)
                || !patientParams(resourceType).isEmpty();
    }

    /** The patients the resource belongs to (those that could be established; see {@link #ownership}). */
    public Set<String> owners(IBaseResource resource) {
        return ownership(resource).patients();
    }

    /** Whose data the resource is (see the class comment). */
    public Ownership ownership(IBaseResource resource) {
        return ownership(links.of(resource));
    }

    /**
     * As {@link #ownership(IBaseResource)}, for a version just read from this server's database (never content a
     * client sent, nor another server's): its own pointers may come from the cache of stored versions.
     */
    public Ownership ownershipOfStored(IBaseResource resource) {
        return ownership(linksOfStored(resource));
    }

    /**
     * As {@link #ownership(IBaseResource)}, for a version being written in the transaction in progress (from a
     * pre-commit storage hook: its id, version and lastUpdated are set). Its pointers are kept for the rest of the
     * transaction (a bundle's Claim that links to the Encounter written before it finds them without reading it
     * back) and, once the transaction commits, as a stored version's are (so does the next request's report on an
     * Observation). Nothing is kept from a write that rolls back.
     */
    public Ownership ownershipOfWritten(IBaseResource resource) {
        PatientLinks.Found found = links.of(resource);
        String key = versionFirst ? versionKey(resource) : null;
        Written inTransaction = key == null ? null : written.currentOrNew(); // null outside a transaction
        if (inTransaction != null) inTransaction.versions.put(key, found);
        return ownership(found);
    }

    /**
     * The versions the transaction in progress wrote, with their pointers, by version key: a synchronisation of that
     * transaction, so a transaction suspended for another (REQUIRES_NEW) does not see the other's writes, nor keep
     * them when only it commits. At commit they join the stored versions' cache.
     */
    private final class Written implements TransactionSynchronization {
        final Map<String, PatientLinks.Found> versions = new HashMap<>();

        @Override
        public void afterCommit() {
            storedLinks.putAll(versions);
        }
    }

    /**
     * A linked resource's current version is asked for first (seeing the transaction's own changes, on a write
     * too), and the resource read only when that version's pointers are not cached.
     */
    private Ownership ownership(PatientLinks.Found found) {
        Set<String> patients = new LinkedHashSet<>(found.patients());
        boolean unresolved = found.unresolvable();
        boolean pending = found.pending();
        unresolved |= resolveIdentifiers(found, patients);
        for (String link : found.linked()) {
            int slash = link.indexOf('/');
            String type = link.substring(0, slash);
            String id = link.substring(slash + 1);
            Optional<PatientLinks.Found> linked = versionFirst
                    ? linksOfCurrent(type, id)
                    : lookup.read(type, id).map(this::linksOfStored); // read from the database just now
            if (linked.isEmpty()) {
                unresolved = true; // not stored (any more): whose it was cannot be told
                continue;
            }
            PatientLinks.Found next = linked.get();
            Set<String> theirs = new LinkedHashSet<>(next.patients());
            unresolved |= next.unresolvable() || next.pending() || resolveIdentifiers(next, theirs);
            // the linked resource names its patient only through further links: beyond one step
            if (theirs.isEmpty() && !next.linked().isEmpty()) unresolved = true;
            patients.addAll(theirs);
        }
        return new Ownership(Set.copyOf(patients), unresolved, pending);
    }

    private PatientLinks.Found linksOfStored(IBaseResource stored) {
        String key = versionKey(stored);
        return key == null ? links.of(stored) : storedLinks.get(key, k -> links.of(stored));
    }

    /** The pointers of the current version of Type/id, read only if that version's are not cached; empty if none. */
    private Optional<PatientLinks.Found> linksOfCurrent(String type, String id) {
        Optional<String> version = lookup.currentVersion(type, id);
        if (version.isEmpty()) return Optional.empty();
        String key = versionKey(type, id, version.get());
        PatientLinks.Found cached = storedLinks.getIfPresent(key);
        if (cached != null) return Optional.of(cached);
        // the version this very transaction wrote (the session's answer sees it): its pointers as written
        Written inTransaction = written.current();
        if (inTransaction != null && inTransaction.versions.containsKey(key)) {
            return Optional.of(inTransaction.versions.get(key));
        }
        return lookup.read(type, id).map(this::linksOfStored);
    }

    /** Type/id/_history/version@lastUpdated, or null when the resource lacks one of them (then not cached). */
    private String versionKey(IBaseResource resource) {
        IIdType id = resource.getIdElement();
        if (id == null || !id.hasIdPart() || !id.hasVersionIdPart()) return null;
        Date updated = resource.getMeta().getLastUpdated();
        if (updated == null) return null;
        return versionKey(
                ctx.getResourceType(resource), id.getIdPart(), id.getVersionIdPart() + "@" + updated.getTime());
    }

    private static String versionKey(String type, String id, String versionAtUpdated) {
        return type + "/" + id + "/_history/" + versionAtUpdated;
    }

    /** Adds the stored Patients the identifier references name; true if one names none. */
    private boolean resolveIdentifiers(PatientLinks.Found found, Set<String> patients) {
        boolean unresolved = false;
        for (Identifier identifier : found.patientIdentifiers()) {
            Set<String> ids = lookup.patientsWithIdentifier(identifier.getSystem(), identifier.getValue());
            if (ids.isEmpty()) unresolved = true;
            patients.addAll(ids);
        }
        return unresolved;
    }

    /** The patient id a search value names ({@code 123}, {@code Patient/123}, or a full URL ending so), if any. */
    public static Optional<String> patientIdOf(String value, boolean bareIdMeansPatient) {
        String v = value.trim();
        int history = v.indexOf("/_history/");
        if (history >= 0) v = v.substring(0, history);
        int slash = v.lastIndexOf('/');
        if (slash < 0) {
            return bareIdMeansPatient && !v.isEmpty() ? Optional.of(v) : Optional.empty();
        }
        String type = v.substring(0, slash);
        int typeStart = type.lastIndexOf('/');
        type = typeStart < 0 ? type : type.substring(typeStart + 1);
        String id = v.substring(slash + 1);
        return "Patient".equals(type) && !id.isEmpty() ? Optional.of(id) : Optional.empty();
    }
}
