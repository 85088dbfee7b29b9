package org.fhirledger.server.exchange;

import ca.uhn.fhir.context.FhirContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fhirledger.server.record.PatientLinks;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * The shape of an imported copy and its Provenance (docs/exchange.md, import with Provenance), in one place for the
 * import and its check: the rewrite of a member's version into the copy, and the extensions the Provenance keeps.
 */
final class ImportedCopies {

    static final String NS = "https://fhir-ledger.org/StructureDefinition/";
    /** On the source entity: the member's custodian account (valueString). */
    static final String SOURCE_CUSTODIAN = NS + "import-source-custodian";
    /** On the source entity: the member's content hash of the version, 0x-hex (valueString). */
    static final String SOURCE_CONTENT_HASH = NS + "import-source-content-hash";
    /** On the source entity: the version's stored form as received, the bytes hashed (valueBase64Binary). */
    static final String SOURCE_STORED_FORM = NS + "import-source-stored-form";
    /** On the Provenance, repeated: one rewritten reference, {@code from} the member's, {@code to} the copy's. */
    static final String REWRITTEN_REFERENCE = NS + "import-rewritten-reference";
    /** Tags a copy with the member's resource it copies: {@code <custodian account>/<Type>/<id>}. */
    static final String IMPORTED_FROM = "https://fhir-ledger.org/CodeSystem/imported-from";

    private ImportedCopies() {}

    /**
     * Rewrites the references of a member's version in place: one the mapping names ({@code Type/id} at the member,
     * relative or under its base URL, any version) becomes the mapped reference here; a contained one ({@code #x})
     * stays; every other is removed, emptied entirely (it would name something that is not here, and a reference
     * by identifier or display alone leaves whose data the copy is undecidable). Drops the id and meta too; nothing
     * else changes.
     *
     * @return the references removed, as they were
     */
    static List<String> rewrite(FhirContext fhir, IBaseResource resource, String base, Map<String, String> mapping) {
        List<String> dropped = new ArrayList<>();
        for (Reference ref : fhir.newTerser().getAllPopulatedChildElementsOfType(resource, Reference.class)) {
            String value = ref.getReference();
            if (value != null && value.startsWith("#")) continue;
            String key = key(value, base);
            if (key != null && mapping.containsKey(key)) {
                ref.setReference(mapping.get(key));
                ref.setIdentifier(null);
                continue;
            }
            dropped.add(
                    value != null
                            ? value
                            : ref.hasIdentifier()
                                    ? "identifier " + ref.getIdentifier().getSystem() + "|"
                                            + ref.getIdentifier().getValue()
                                    : "a reference by display");
            ref.setReference(null);
            ref.setIdentifier(null);
            ref.setDisplay(null);
            ref.setType(null);
            ref.getExtension().clear();
            ref.setId((String) null);
        }
        ((Resource) resource).setId((IdType) null);
        ((Resource) resource).setMeta(null);
        return dropped;
    }

    /** {@code Type/id} of a reference, relative or under the member's base URL; null for anything else. */
    static String key(String value, String base) {
        if (value == null || value.isBlank()) return null;
        String v = value;
        if (v.startsWith(base + "/")) v = v.substring(base.length() + 1);
        else if (v.contains("://") || v.startsWith("urn:") || v.contains("?")) return null;
        IIdType id = new IdType(v);
        if (!id.hasResourceType() || !id.hasIdPart()) return null;
        return id.getResourceType() + "/" + id.getIdPart();
    }

    /** The rewrite a Provenance recorded: the member's {@code Type/id} to the reference here. */
    static Map<String, String> mapping(Provenance p) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Extension e : p.getExtensionsByUrl(REWRITTEN_REFERENCE)) {
            Extension from = e.getExtensionByUrl("from");
            Extension to = e.getExtensionByUrl("to");
            if (from != null
                    && to != null
                    && from.getValue() instanceof StringType f
                    && to.getValue() instanceof StringType t) {
                out.put(f.getValue(), t.getValue());
            }
        }
        return out;
    }

    static Extension rewritten(String from, String to) {
        Extension e = new Extension(REWRITTEN_REFERENCE);
        e.addExtension("from", new StringType(from));
        e.addExtension("to", new StringType(to));
        return e;
    }

    /** The source entity of an import Provenance: role source, the member's version by URL; null if none. */
    static Provenance.ProvenanceEntityComponent source(Provenance p) {
        for (Provenance.ProvenanceEntityComponent e : p.getEntity()) {
            if (e.getRole() == Provenance.ProvenanceEntityRole.SOURCE
                    && e.getWhat().hasIdentifier()
                    && PatientLinks.URI_SYSTEM.equals(
                            e.getWhat().getIdentifier().getSystem())
                    && e.getExtensionByUrl(SOURCE_STORED_FORM) != null) {
                return e;
            }
        }
        return null;
    }
}
