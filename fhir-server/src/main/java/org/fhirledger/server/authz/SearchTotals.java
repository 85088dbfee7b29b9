package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.fhirledger.ledger.Role;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;

/**
 * {@code Bundle.total} as the caller sees it. HAPI counts every match, the pre-show check then leaves out what the
 * caller may not see: for a caller who may not see every match, a search answered in one page gets the number of
 * matches it shows; one spread over several pages, and {@code _summary=count}, get no total (what the other pages
 * hide is not known here). Searches in a batch or transaction answer are treated alike.
 */
final class SearchTotals {

    void adjust(Subject s, RequestDetails rd, IBaseResource response) {
        if (!(response instanceof Bundle bundle) || s.has(Role.CUSTODIAN)) return;
        RequestState state = RequestState.of(rd);
        if (state != null && state.isPatientSearchNarrowed()) return; // every match is one the caller may see
        String[] summary =
                rd.getParameters() == null ? null : rd.getParameters().get("_summary");
        boolean countOnly = summary != null && summary.length > 0 && "count".equals(summary[0]);
        if (bundle.getType() == Bundle.BundleType.SEARCHSET) {
            if (!everyMatchVisible(s, rd.getResourceName())) adjust(bundle, countOnly);
        } else if (bundle.getType() == Bundle.BundleType.BATCHRESPONSE
                || bundle.getType() == Bundle.BundleType.TRANSACTIONRESPONSE) {
            for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
                if (e.getResource() instanceof Bundle inner && inner.getType() == Bundle.BundleType.SEARCHSET) {
                    adjust(inner, inner.getEntry().isEmpty());
                }
            }
        }
    }

    /**
     * A search narrowed to the patients the caller may see: a match of theirs may also be another patient's (the
     * pre-show check leaves it out), so a one-page answer counts what it shows, and one spread over pages or a
     * {@code _summary=count} gets the number of matches the caller may see, counted afresh ({@code visible}; no
     * total when there are too many to count).
     */
    void adjustNarrowed(IBaseResource response, java.util.function.Supplier<java.util.OptionalInt> visible) {
        if (!(response instanceof Bundle bundle) || bundle.getType() != Bundle.BundleType.SEARCHSET) return;
        if (!bundle.hasTotal()) return;
        boolean paged = bundle.getLink(Bundle.LINK_NEXT) != null
                || bundle.getLink(Bundle.LINK_PREV) != null
                || bundle.getLink("prev") != null;
        boolean countOnly = bundle.getEntry().isEmpty() && bundle.getTotal() > 0;
        if (!paged && !countOnly) {
            adjust(bundle, false);
            return;
        }
        java.util.OptionalInt n = visible.get();
        if (n.isPresent()) bundle.setTotal(n.getAsInt());
        else bundle.setTotalElement(null);
    }

    private static void adjust(Bundle bundle, boolean countOnly) {
        if (!bundle.hasTotal()) return;
        boolean paged = bundle.getLink(Bundle.LINK_NEXT) != null
                || bundle.getLink(Bundle.LINK_PREV) != null
                || bundle.getLink("prev") != null;
        if (countOnly || paged) {
            bundle.setTotalElement(null);
            return;
        }
        int shown = 0;
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            if (e.getResource() != null
                    && (!e.hasSearch()
                            || e.getSearch().getMode() != Bundle.SearchEntryMode.INCLUDE
                                    && e.getSearch().getMode() != Bundle.SearchEntryMode.OUTCOME)) {
                shown++;
            }
        }
        bundle.setTotal(shown);
    }

    /** The directory is everyone's, AuditEvents an auditor's: nothing is left out there. */
    private static boolean everyMatchVisible(Subject s, String type) {
        return type != null
                && (AccessPolicy.DIRECTORY_TYPES.contains(type) || "AuditEvent".equals(type) && s.has(Role.AUDITOR));
    }
}
