package org.fhirledger.server.record;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeChildChoiceDefinition;
import ca.uhn.fhir.context.RuntimeChildResourceDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.util.IModelVisitor2;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * Which patients a resource version points at, read from its content alone (no lookups), and which resource types
 * can point at a patient at all, from the FHIR model. One computation for everything that asks "whose data is
 * this": authorisation builds on it (resolving identifiers and following links to other resources, see
 * {@code authz.Compartments}), the write pipeline takes its owner from it.
 *
 * <p>A type <em>can carry patient data</em> when the model gives it, at any depth of its elements (extensions
 * aside), a Reference that can target Patient, any resource, or a type that can itself carry patient data, or an
 * embedded resource (e.g. Parameters.parameter.resource). Patient itself does. Types that cannot (ValueSet,
 * CodeSystem, Medication, Substance, Practitioner, Organization, ...) hold patient data only through an
 * extension or a contained resource, which the content scan catches for every type.
 */
public final class PatientLinks {

    /** A resource's pointers at patients, from its content. */
    public record Found(
            /** ids of Patients referenced as {@code Patient/<id>} (for a Patient: its own id) */
            Set<String> patients,
            /** {@code Type/id} of other resources referenced whose type can carry patient data */
            Set<String> linked,
            /** identifiers of references that may name a Patient by identifier only */
            List<Identifier> patientIdentifiers,
            /** a pointer that may be at a patient and cannot be followed: contained Patient, a reference by
             *  display only, another server's URL, an identifier-only reference to a non-Patient type */
            boolean unresolvable,
            /** a placeholder ({@code urn:uuid:}) or conditional reference ({@code Patient?identifier=}) that HAPI
             *  replaces by the resource it names before commit: only known then */
            boolean pending) {}

    private final FhirContext ctx;
    private final Map<String, Boolean> capable = new ConcurrentHashMap<>();
    private volatile Set<String> capableTypes;

    public PatientLinks(FhirContext ctx) {
        this.ctx = ctx;
    }

    /** Whether resources of this type can, by the FHIR model, point at a patient (see the class comment). */
    public boolean canCarryPatientData(String type) {
        return capable.computeIfAbsent(type, t -> capableTypes().contains(t));
    }

    /**
     * The owner the write pipeline records a version under: {@code Patient/<id>} of the referenced Patient with the
     * smallest id in string order (so every replica picks the same one), a Patient being its own; empty if the
     * content references no Patient.
     */
    public Optional<String> ledgerOwnerOf(IBaseResource resource) {
        return of(resource).patients().stream().min(Comparator.naturalOrder()).map(id -> "Patient/" + id);
    }

    /** The pointers at patients in this content (a Patient points at itself only: its links are not ownership). */
    public Found of(IBaseResource resource) {
        if ("Patient".equals(ctx.getResourceType(resource))) {
            IIdType id = resource.getIdElement();
            return new Found(
                    id == null || id.getIdPart() == null ? Set.of() : Set.of(id.getIdPart()),
                    Set.of(),
                    List.of(),
                    false,
                    false);
        }
        Set<String> patients = new LinkedHashSet<>();
        Set<String> linked = new LinkedHashSet<>();
        List<Identifier> identifiers = new ArrayList<>();
        boolean[] unresolvable = {false};
        boolean[] pending = {false};
        Set<IBaseReference> origins = originsElsewhere(resource);
        ctx.newTerser().visit(resource, new IModelVisitor2() {
            @Override
            public boolean acceptElement(
                    IBase element,
                    List<IBase> containingPath,
                    List<BaseRuntimeChildDefinition> childPath,
                    List<BaseRuntimeElementDefinition<?>> elementPath) {
                if (element != resource
                        && element instanceof IBaseResource contained
                        && "Patient".equals(ctx.getResourceType(contained))) {
                    unresolvable[0] = true; // a contained Patient: whose it is cannot be established
                }
                if (element instanceof IBaseReference ref && origins.contains(ref)) return true;
                if (element instanceof IBaseReference ref && !namesAnAccount(ref, containingPath)) {
                    BaseRuntimeChildDefinition child = childPath.isEmpty() ? null : childPath.get(childPath.size() - 1);
                    reference(ref, targets(child), patients, linked, identifiers, unresolvable, pending);
                }
                return true;
            }

            @Override
            public boolean acceptUndeclaredExtension(
                    org.hl7.fhir.instance.model.api.IBaseExtension<?, ?> extension,
                    List<IBase> containingPath,
                    List<BaseRuntimeChildDefinition> childPath,
                    List<BaseRuntimeElementDefinition<?>> elementPath) {
                if (extension.getValue() instanceof IBaseReference ref) {
                    reference(ref, null, patients, linked, identifiers, unresolvable, pending);
                }
                return true;
            }
        });
        // a Provenance that names only a record elsewhere is about no one it can be tied to here
        if (!origins.isEmpty() && patients.isEmpty() && linked.isEmpty() && identifiers.isEmpty()) {
            unresolvable[0] = true;
        }
        return new Found(
                Set.copyOf(patients), Set.copyOf(linked), List.copyOf(identifiers), unresolvable[0], pending[0]);
    }

    /**
     * A Consent's actor named by ledger account (another member's clinician, who has no resource here): a person of
     * the chain, never one of this server's Patients. Only there: anywhere else such a reference stays a pointer
     * that may be at a patient and cannot be followed.
     */
    private static boolean namesAnAccount(IBaseReference ref, List<IBase> containingPath) {
        if (!(ref instanceof Reference r4)
                || r4.hasReference()
                || !AuditShape.LEDGER_ADDRESS_SYSTEM.equals(r4.getIdentifier().getSystem())) {
            return false;
        }
        for (IBase parent : containingPath) {
            if (parent instanceof org.hl7.fhir.r4.model.Consent.provisionActorComponent actor
                    && actor.getReference() == ref) {
                return true;
            }
        }
        return false;
    }

    /** The URI identifier system: the identifier's value is an absolute URI. */
    public static final String URI_SYSTEM = "urn:ietf:rfc:3986";

    /**
     * The source entities of a Provenance that name a version on another server by its absolute URL only
     * ({@code entity.what.identifier} with system {@value #URI_SYSTEM} and an http(s) value, no {@code reference}): where
     * a record came from, not whose data the Provenance is (its targets say that), so they count for neither. Such a
     * Provenance with no other pointer at a patient stays unresolvable.
     */
    private static Set<IBaseReference> originsElsewhere(IBaseResource resource) {
        if (!(resource instanceof org.hl7.fhir.r4.model.Provenance provenance)) return Set.of();
        Set<IBaseReference> out = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (org.hl7.fhir.r4.model.Provenance.ProvenanceEntityComponent e : provenance.getEntity()) {
            Reference what = e.getWhat();
            if (what != null
                    && !what.hasReference()
                    && what.hasIdentifier()
                    && URI_SYSTEM.equals(what.getIdentifier().getSystem())
                    && what.getIdentifier().hasValue()
                    && what.getIdentifier().getValue().matches("https?://.+")) {
                out.add(what);
            }
        }
        return out;
    }

    /** @param targets the type names the model allows, or null for any resource */
    private void reference(
            IBaseReference ref,
            Set<String> targets,
            Set<String> patients,
            Set<String> linked,
            List<Identifier> identifiers,
            boolean[] unresolvable,
            boolean[] pending) {
        String value = ref.getReferenceElement() == null
                ? null
                : ref.getReferenceElement().getValue();
        if (value != null && !value.isBlank()) {
            if (value.startsWith("#")) return; // a contained resource: scanned as part of this one
            int query = value.indexOf('?');
            if (query >= 0) {
                // a conditional reference (Patient?identifier=...): HAPI resolves it while storing
                String type = value.substring(0, query);
                if ("Patient".equals(type) || canCarryPatientData(type)) pending[0] = true;
                return;
            }
            IIdType id = ref.getReferenceElement();
            boolean mayBePatientData = targets == null || targets.stream().anyMatch(this::canCarryPatientData);
            if (value.startsWith("urn:")) {
                if (mayBePatientData) pending[0] = true; // a transaction's placeholder: replaced before commit
                return;
            }
            if (id.isAbsolute() || !id.hasResourceType() || !id.hasIdPart()) {
                if (mayBePatientData) unresolvable[0] = true; // another server's resource: not followable
                return;
            }
            String type = id.getResourceType();
            if ("Patient".equals(type)) patients.add(id.getIdPart());
            else if (canCarryPatientData(type)) linked.add(type + "/" + id.getIdPart());
            return;
        }
        Set<String> candidates = targets;
        if (ref instanceof Reference r4 && r4.hasType()) candidates = Set.of(r4.getType());
        if (candidates != null && candidates.stream().noneMatch(this::canCarryPatientData)) return;
        if (!(ref instanceof Reference r4)) return;
        if (r4.hasIdentifier()
                && r4.getIdentifier().hasValue()
                && (candidates == null || candidates.contains("Patient"))) {
            identifiers.add(r4.getIdentifier()); // found among stored Patients, or unresolvable
        } else if (r4.hasIdentifier() || r4.hasDisplay()) {
            unresolvable[0] = true; // another type's identifier, or a name only: cannot be followed
        }
    }

    /** The type names a reference child may target; null for any resource (or when the model does not say). */
    private Set<String> targets(BaseRuntimeChildDefinition child) {
        List<Class<? extends IBaseResource>> classes = null;
        if (child instanceof RuntimeChildResourceDefinition r) classes = r.getResourceTypes();
        else if (child instanceof RuntimeChildChoiceDefinition c) classes = c.getResourceTypes();
        if (classes == null || classes.isEmpty()) return null;
        Set<String> names = new LinkedHashSet<>();
        for (Class<? extends IBaseResource> c : classes) {
            if (!isConcrete(c)) return null; // Reference(Any)
            names.add(ctx.getResourceType(c));
        }
        return names;
    }

    private static boolean isConcrete(Class<?> c) {
        return !c.isInterface() && !java.lang.reflect.Modifier.isAbstract(c.getModifiers());
    }

    // ----- the model: which types can point at a patient --------------------------------------------------------

    private Set<String> capableTypes() {
        Set<String> result = capableTypes;
        if (result != null) return result;
        Map<String, Set<String>> refersTo = new HashMap<>();
        Set<String> direct = new HashSet<>(Set.of("Patient"));
        for (String type : ctx.getResourceTypes()) {
            Set<String> targets = new HashSet<>();
            RuntimeResourceDefinition def = ctx.getResourceDefinition(type);
            if (walk(def, targets, new HashSet<>())) direct.add(type);
            refersTo.put(type, targets);
        }
        Set<String> capableSet = new HashSet<>(direct);
        boolean grew = true;
        while (grew) { // a type that can reference a type that can carry patient data can too
            grew = false;
            for (Map.Entry<String, Set<String>> e : refersTo.entrySet()) {
                if (!capableSet.contains(e.getKey()) && e.getValue().stream().anyMatch(capableSet::contains)) {
                    capableSet.add(e.getKey());
                    grew = true;
                }
            }
        }
        capableTypes = Set.copyOf(capableSet);
        return capableTypes;
    }

    /** Collects the reference targets under an element; true if one of them is Patient or any resource. */
    private boolean walk(BaseRuntimeElementCompositeDefinition<?> def, Set<String> targets, Set<Object> seen) {
        if (!seen.add(def)) return false;
        boolean any = false;
        for (BaseRuntimeChildDefinition child : def.getChildren()) {
            String name = child.getElementName();
            // extensions and contained resources can hold anything (the content scan catches them); a use context
            // (where a definition applies: a Group, a Location) is not about a patient
            if ("extension".equals(name)
                    || "modifierExtension".equals(name)
                    || "contained".equals(name)
                    || "useContext".equals(name)) continue;
            if (child instanceof RuntimeChildResourceDefinition || child instanceof RuntimeChildChoiceDefinition) {
                Set<String> t = targets(child);
                boolean refs = child instanceof RuntimeChildResourceDefinition
                        || !((RuntimeChildChoiceDefinition) child)
                                .getResourceTypes()
                                .isEmpty();
                if (refs) {
                    if (t == null || t.contains("Patient")) any = true;
                    else targets.addAll(t);
                }
            }
            for (String childName : child.getValidChildNames()) {
                BaseRuntimeElementDefinition<?> elem = child.getChildByName(childName);
                if (elem == null) continue;
                if (elem.getChildType() == BaseRuntimeElementDefinition.ChildTypeEnum.RESOURCE) any = true; // embedded
                // a profile's fixed, pattern and example values are definitions, not anyone's data
                if ("ElementDefinition".equals(elem.getName())) continue;
                if (elem instanceof BaseRuntimeElementCompositeDefinition<?> composite
                        && !(elem instanceof RuntimeResourceDefinition)
                        && !(child instanceof RuntimeChildResourceDefinition)) {
                    any |= walk(composite, targets, seen);
                }
            }
        }
        return any;
    }
}
