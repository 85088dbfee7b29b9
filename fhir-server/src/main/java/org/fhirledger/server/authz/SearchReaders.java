package org.fhirledger.server.authz;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Who may fetch a search's further pages ({@code _getpages=<search id>}): the callers the search's pages were
 * answered to (HAPI may answer two callers' identical searches from one cached search). Kept in the database, so
 * every replica knows; an id is forgotten a day after it was given (HAPI's searches expire sooner).
 */
final class SearchReaders {

    private static final Pattern PAGE_ID = Pattern.compile("[?&]_getpages=([^&]+)");
    private static final Duration KEPT = Duration.ofDays(1);

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final AtomicInteger sinceCleanup = new AtomicInteger();

    SearchReaders(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
        jdbc.execute("create table if not exists fl_search_reader (search_id varchar(100) not null, "
                + "reader varchar(42) not null, given_at bigint not null, primary key (search_id, reader))");
    }

    /** Binds the page links of this answer (and of the searches a batch answers) to the caller it goes to. */
    void remember(IBaseResource response, String reader) {
        if (!(response instanceof Bundle bundle)) return;
        if (bundle.getType() == Bundle.BundleType.BATCHRESPONSE
                || bundle.getType() == Bundle.BundleType.TRANSACTIONRESPONSE) {
            for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
                if (e.getResource() instanceof Bundle inner) remember(inner, reader);
            }
            return;
        }
        for (Bundle.BundleLinkComponent link : bundle.getLink()) {
            Matcher m = PAGE_ID.matcher(link.getUrl() == null ? "" : link.getUrl());
            if (m.find()) {
                bind(m.group(1), reader);
                return; // one search per answer
            }
        }
    }

    boolean isReader(String searchId, String reader) {
        Integer n = jdbc.queryForObject(
                "select count(*) from fl_search_reader where search_id = ? and reader = ?",
                Integer.class,
                searchId,
                reader.toLowerCase(Locale.ROOT));
        return n != null && n > 0;
    }

    private void bind(String searchId, String reader) {
        if (searchId.length() > 100) return; // not one of HAPI's: fetching it fails anyway
        String r = reader.toLowerCase(Locale.ROOT);
        if (isReader(searchId, r)) return;
        try {
            jdbc.update(
                    "insert into fl_search_reader (search_id, reader, given_at) values (?, ?, ?)",
                    searchId,
                    r,
                    clock.millis());
        } catch (DuplicateKeyException raced) {
            // the same caller's concurrent page: bound already
        }
        if (sinceCleanup.incrementAndGet() % 500 == 0) {
            jdbc.update("delete from fl_search_reader where given_at < ?", clock.millis() - KEPT.toMillis());
        }
    }
}
