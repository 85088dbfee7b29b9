package org.fhirledger.server.version;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.hl7.fhir.instance.model.api.IAnyResource;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseMetaType;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

/**
 * The canonical bytes hashed for a stored version: what the write pipeline records, what the read check and
 * {@code $verify} recompute. One place, so the three can never disagree.
 *
 * <p>A stored version is HAPI's JSON encoding of the resource with its meta in canonical form: HAPI keeps tags,
 * security labels and profiles in tables of their own, one row per tag definition or profile, and gives them back in
 * an order of its choosing, while the content hash keeps array order and duplicates. So equal codings and profiles
 * are kept once (before storage each coding takes the values of the tag definition HAPI will use, see
 * {@code outbox.TagDefinitions}, so codings HAPI serves once are equal by then) and sorted by system, code, version,
 * display (profiles by value) before hashing, at write and at read alike. A delete version is its {@linkplain #tombstone tombstone}.
 */
public final class StoredForm {

    private final FhirContext ctx;

    public StoredForm(FhirContext ctx) {
        this.ctx = ctx;
    }

    /** Puts the meta of a stored (not deleted) version in canonical form (in place) and returns its bytes. */
    public byte[] of(IBaseResource resource) {
        canonicalMeta(resource);
        return ctx.newJsonParser().encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The bytes of a version as HAPI hands it out: a deleted version (a stub in a history bundle) stands for its
     * tombstone, any other for {@link #of}.
     */
    public byte[] ofShown(IBaseResource resource) {
        if (resource instanceof IAnyResource any && ResourceMetadataKeyEnum.DELETED_AT.get(any) != null) {
            return tombstone(
                    ctx.getResourceType(resource), resource.getIdElement().getIdPart());
        }
        return of(resource);
    }

    /**
     * What the ledger records for a delete version: the canonical JSON
     * {@code {"deleted":true,"id":"<id>","resourceType":"<Type>"}} (keys already in canonical order, no whitespace).
     * Anyone who knows the id can recompute its hash: the entry says "this resource was deleted at this version".
     */
    public static byte[] tombstone(String resourceType, String id) {
        // Type and id are FHIR names and ids ([A-Za-z0-9\-.]): nothing to escape.
        return ("{\"deleted\":true,\"id\":\"" + id + "\",\"resourceType\":\"" + resourceType + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Tags, security labels and profiles without duplicates, in one order (see the class comment). */
    public static void canonicalMeta(IBaseResource resource) {
        IBaseMetaType meta = resource.getMeta();
        Comparator<IBaseCoding> byCoding = Comparator.comparing((IBaseCoding c) -> nz(c.getSystem()))
                .thenComparing(c -> nz(c.getCode()))
                .thenComparing(c -> nz(c.getVersion()))
                .thenComparing(c -> nz(c.getDisplay()));
        canonical(meta.getTag(), StoredForm::codingKey, byCoding);
        canonical(meta.getSecurity(), StoredForm::codingKey, byCoding);
        canonical(
                meta.getProfile(),
                p -> nz(p.getValue()),
                Comparator.comparing((IPrimitiveType<String> p) -> nz(p.getValue())));
    }

    /** A coding as served: HAPI serves one per tag definition, so two equal ones are one. */
    private static String codingKey(IBaseCoding c) {
        return nz(c.getSystem()) + "|" + nz(c.getCode()) + "|" + nz(c.getVersion()) + "|" + nz(c.getDisplay()) + "|"
                + c.getUserSelected();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> void canonical(
            List<? extends T> list, java.util.function.Function<T, String> key, Comparator<? super T> order) {
        if (list.size() < 2) return;
        Map<String, T> first = new LinkedHashMap<>();
        for (T t : list) first.putIfAbsent(key.apply(t), t);
        List copy = new ArrayList<>(first.values());
        copy.sort(order);
        if (Objects.equals(copy, list)) return;
        list.clear();
        ((List) list).addAll(copy);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
