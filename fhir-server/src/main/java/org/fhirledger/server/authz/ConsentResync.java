package org.fhirledger.server.authz;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ConsentGrant;
import org.fhirledger.ledger.ConsentLedger;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Puts the database's consents back on the chain after the chain lost blocks. {@link ConsentMirror} writes grants and
 * revokes straight to ConsentRegistry, not through the outbox, so one mined above the embedded chain's last snapshot
 * is gone after a crash of the node — and a lost revoke would silently give access back. Told of lost blocks (and by
 * the operator's acceptance of a rewritten chain), this reads every Consent the server has (deleted ones too) with all
 * its versions, replays what the mirror did for each version in the order they were stored (a version grants its
 * actors, and revokes the actors the version before granted that it no longer grants; a revoking status revokes its
 * actors; a deletion revokes what the last version granted) so that the last word per patient and Practitioner is
 * the chain's (one slot each), and sends only what differs from {@code consentOf}. All Consents, not just recent ones: the cost is a
 * database read per Consent version and a chain view per patient and actor, paid only after a node crash, and no
 * clock of the chain's snapshot needs trusting. A Consent changed while this runs makes it run again, so a stale read
 * never has the last word. Failures (chain down) are retried.
 */
public final class ConsentResync extends ResyncAfterLostBlocks {
    private final ObjectProvider<DaoRegistry> daos;
    private final ObjectProvider<JdbcTemplate> jdbc;
    private final ObjectProvider<ConsentLedger> ledger;
    private final ObjectProvider<ChainAuthority> chain;
    private final ObjectProvider<Pseudonyms> pseudonyms;
    private final ObjectProvider<ConsentedPatients> listed;
    private final Clock clock;

    public ConsentResync(
            ObjectProvider<DaoRegistry> daos,
            ObjectProvider<JdbcTemplate> jdbc,
            ObjectProvider<ConsentLedger> ledger,
            ObjectProvider<ChainAuthority> chain,
            ObjectProvider<Pseudonyms> pseudonyms,
            ObjectProvider<ConsentedPatients> listed,
            Clock clock) {
        super("consents");
        this.listed = listed;
        this.daos = daos;
        this.jdbc = jdbc;
        this.ledger = ledger;
        this.chain = chain;
        this.pseudonyms = pseudonyms;
        this.clock = clock;
    }

    @Override
    protected int resyncOnce() {
        List<Object> started;
        int sent = 0;
        do {
            started = latestChange();
            sent += resync();
        } while (!latestChange().equals(started));
        return sent;
    }

    /** Changes to Consents show as a later time or more versions. */
    private List<Object> latestChange() {
        return new ArrayList<>(jdbc.getObject()
                .queryForMap(
                        "select max(RES_UPDATED) as T, count(*) as N from HFJ_RES_VER" + " where RES_TYPE = 'Consent'")
                .values());
    }

    /**
     * Replays what the mirror did for every stored version (its hooks' rules), in the order the versions were stored,
     * so the last word per patient and actor is the chain's; then sends what differs. Returns the calls sent.
     */
    private int resync() {
        List<Event> events = new ArrayList<>();
        for (Map<String, Object> row : jdbc.getObject()
                .queryForList(
                        "select FHIR_ID, RES_VER, RES_DELETED_AT from HFJ_RESOURCE" + " where RES_TYPE = 'Consent'")) {
            String id = (String) row.get("FHIR_ID");
            long last = ((Number) row.get("RES_VER")).longValue();
            Object deletedAt = row.get("RES_DELETED_AT");
            ConsentTerms before = null;
            for (long v = 1; v <= last; v++) {
                Optional<Version> version = versionOf(id, v);
                if (version.isEmpty()) {
                    if (v == last && deletedAt instanceof java.util.Date d) {
                        // deleted: what the last stored version granted ends
                        if (before != null && before.effect() == ConsentTerms.Effect.GRANT) {
                            for (String actor : before.actors())
                                events.add(new Event(d.toInstant(), before.patientId(), actor, null));
                        }
                    }
                    // a deletion in between (then re-created) or expunged: the next version revokes what "before"
                    // granted
                    // and it does not, a little later than the deletion did
                    continue;
                }
                Instant at = version.get().at();
                ConsentTerms after = version.get().terms();
                if (before != null && before.effect() == ConsentTerms.Effect.GRANT) {
                    for (String actor : before.actors()) {
                        boolean kept = after != null
                                && after.effect() == ConsentTerms.Effect.GRANT
                                && after.actors().contains(actor);
                        if (!kept) events.add(new Event(at, before.patientId(), actor, null));
                    }
                }
                if (after != null && after.effect() == ConsentTerms.Effect.GRANT) {
                    for (String actor : after.actors()) events.add(new Event(at, after.patientId(), actor, after));
                } else if (after != null && after.effect() == ConsentTerms.Effect.REVOKE) {
                    for (String actor : after.actors()) events.add(new Event(at, after.patientId(), actor, null));
                }
                before = after;
            }
        }
        events.sort(java.util.Comparator.comparing(Event::at)); // stable: a version's revokes before its grants
        Map<Pair, ConsentTerms> wanted = new LinkedHashMap<>(); // null: revoked
        for (Event e : events) wanted.put(new Pair(e.patientId(), e.actor()), e.terms());
        int sent = 0;
        for (Map.Entry<Pair, ConsentTerms> e : wanted.entrySet()) {
            if (apply(e.getKey(), e.getValue())) sent++;
        }
        return sent;
    }

    /** One stored version: when, and its mirrored terms (null: not a patient-privacy Consent, or never accepted). */
    private record Version(Instant at, ConsentTerms terms) {}

    /** What the mirror did at one moment for one patient and actor (null terms: revoked). */
    private record Event(Instant at, String patientId, String actor, ConsentTerms terms) {}

    private Optional<Version> versionOf(String id, long version) {
        IBaseResource r;
        try {
            r = daos.getObject()
                    .getResourceDao("Consent")
                    .read(new IdType("Consent", id, String.valueOf(version)), new SystemRequestDetails());
        } catch (BaseServerResponseException e) {
            return Optional.empty(); // the deletion's own version, or expunged
        }
        if (!(r instanceof Consent c) || c.getMeta().getLastUpdated() == null) return Optional.empty();
        Instant at = c.getMeta().getLastUpdated().toInstant();
        if (!ConsentTerms.isMirrored(c)) return Optional.of(new Version(at, null));
        try {
            return Optional.of(new Version(at, ConsentTerms.stored(c)));
        } catch (BaseServerResponseException e) {
            return Optional.of(new Version(at, null)); // never accepted by the mirror
        }
    }

    private boolean apply(Pair pair, ConsentTerms terms) {
        String account = chain.getObject().accountOfActor(pair.actor()).orElse(null);
        if (account == null) return false; // no ledger account: nothing was granted to it
        Bytes32 patient = pseudonyms.getObject().of("Patient", pair.patientId());
        ConsentLedger l = ledger.getObject();
        ConsentGrant onChain = l.consentOf(patient, account);
        boolean grant = terms != null && terms.expiry().isAfter(clock.instant());
        if (grant) listed.getObject().add(account, pair.patientId());
        if (grant) {
            if (onChain.actions() == terms.actions()
                    && onChain.resourceTypes().equals(terms.resourceTypes())
                    && onChain.expiry() == terms.expiry().getEpochSecond()) {
                return false;
            }
            l.grantConsent(patient, account, terms.actions(), terms.resourceTypes(), terms.expiry());
        } else {
            if (onChain.actions() == 0) return false;
            l.revokeConsent(patient, account);
        }
        chain.getObject().forgetConsent(patient, account);
        return true;
    }

    private record Pair(String patientId, String actor) {}
}
