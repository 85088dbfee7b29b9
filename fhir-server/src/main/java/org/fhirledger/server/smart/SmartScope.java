package org.fhirledger.server.smart;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SMART resource scope: {@code patient/Observation.rs}, {@code user/*.cruds} (v2), {@code patient/*.read},
 * {@code user/Observation.write} (v1). v1 {@code read} is v2 {@code rs}, {@code write} is {@code cud}, {@code *} all.
 *
 * @param context      patient, user or system
 * @param resourceType a type, or {@code *} for every type
 * @param permissions  some of {@code c r u d s}
 */
record SmartScope(Context context, String resourceType, Set<Character> permissions) {

    enum Context {
        PATIENT,
        USER,
        SYSTEM
    }

    private static final Pattern FORM = Pattern.compile("(patient|user|system)/(\\*|[A-Z][A-Za-z]{1,63})\\.([a-z*]+)");
    private static final Pattern V2 = Pattern.compile("c?r?u?d?s?");

    /**
     * The scope this string grants, or empty when it is not a resource scope (openid, launch/patient...). A scope
     * narrowed by query parameters ({@code patient/Observation.rs?category=laboratory}) grants nothing here: it is
     * not enforced per parameter, and ignoring the parameters would widen it.
     */
    static Optional<SmartScope> parse(String scope) {
        Matcher m = FORM.matcher(scope);
        if (!m.matches()) return Optional.empty();
        Context context = Context.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT));
        String p = m.group(3);
        Set<Character> permissions = switch (p) {
            case "read" -> Set.of('r', 's');
            case "write" -> Set.of('c', 'u', 'd');
            case "*" -> Set.of('c', 'r', 'u', 'd', 's');
            default -> {
                if (p.isEmpty() || !V2.matcher(p).matches()) yield Set.of();
                java.util.Set<Character> set = new java.util.HashSet<>();
                for (char c : p.toCharArray()) set.add(c);
                yield Set.copyOf(set);
            }
        };
        return permissions.isEmpty() ? Optional.empty() : Optional.of(new SmartScope(context, m.group(2), permissions));
    }

    boolean grants(char permission, String type) {
        return permissions.contains(permission) && ("*".equals(resourceType) || resourceType.equals(type));
    }
}
