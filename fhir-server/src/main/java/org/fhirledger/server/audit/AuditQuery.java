package org.fhirledger.server.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What an AuditEvent keeps of a search: never its text (the values are PHI: a birth date, a name, another patient's
 * id), but the canonical form to be hashed with the server's key ({@link #canonical()}) and the names of the search
 * parameters it used ({@link #parameterNames()}), so an auditor sees how someone searched and the custodian, who
 * holds the key, can confirm which query it was.
 *
 * @param canonical      {@code Type?name=value&...}: parameters sorted by name, values in the order received,
 *                       nothing URL-encoded; only ever hashed
 * @param parameterNames the parameters' names without modifiers or chains, sorted, comma-separated; a name this
 *                       server does not know as a search parameter is written {@code other} (it is free text)
 */
public record AuditQuery(String canonical, String parameterNames) {

    // parameters of every resource type and the result parameters (FHIR R4 "search" page), plus HAPI's paging
    private static final Set<String> COMMON = Set.of(
            "_id",
            "_lastUpdated",
            "_tag",
            "_profile",
            "_security",
            "_source",
            "_text",
            "_content",
            "_list",
            "_has",
            "_type",
            "_query",
            "_filter",
            "_language",
            "_sort",
            "_count",
            "_offset",
            "_include",
            "_revinclude",
            "_summary",
            "_total",
            "_elements",
            "_contained",
            "_containedType",
            "_format",
            "_pretty",
            "_getpages",
            "_getpagesoffset",
            "_pageId",
            "_bundletype");

    public static AuditQuery of(RequestDetails rd, FhirContext ctx) {
        String type = rd.getResourceName();
        RuntimeResourceDefinition def = null;
        if (type != null) {
            try {
                def = ctx.getResourceDefinition(type);
            } catch (RuntimeException unknownType) {
                type = "other";
            }
        }
        Map<String, String[]> params = new TreeMap<>(rd.getParameters());
        StringJoiner canonical = new StringJoiner("&", (type == null ? "" : type) + "?", "");
        Set<String> names = new TreeSet<>();
        for (Map.Entry<String, String[]> p : params.entrySet()) {
            for (String value : p.getValue()) canonical.add(p.getKey() + "=" + value);
            String base = baseName(p.getKey());
            names.add(COMMON.contains(base) || (def != null && def.getSearchParam(base) != null) ? base : "other");
        }
        return new AuditQuery(canonical.toString(), String.join(",", names));
    }

    /** {@code subject:Patient.name} → {@code subject}, {@code name:exact} → {@code name}. */
    private static String baseName(String name) {
        int end = name.length();
        for (char c : new char[] {':', '.'}) {
            int i = name.indexOf(c);
            if (i >= 0) end = Math.min(end, i);
        }
        return name.substring(0, end);
    }
}
