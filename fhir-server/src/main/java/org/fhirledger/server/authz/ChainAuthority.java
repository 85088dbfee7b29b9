package org.fhirledger.server.authz;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ConsentAction;
import org.fhirledger.ledger.ConsentChange;
import org.fhirledger.ledger.ConsentGrant;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerListener;
import org.fhirledger.ledger.Role;
import org.fhirledger.ledger.RoleChange;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Roles and consents as the chain holds them, cached: an entry is used for up to cache-ttl, dropped as soon as a
 * chain event about it arrives, and dropped by the server itself right after it changed that state. When the chain
 * cannot be asked and the entry is older than cache-ttl, the answer is "unavailable" (fail closed) unless
 * authorization.fail-closed=false. Once the ledger knows the chain is down (its probe, ledger.probe-interval) that
 * answer comes at once, without a call to the chain, so callers do not queue up behind the outage.
 */
public final class ChainAuthority implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChainAuthority.class);

    private record Account(Set<Role> roles, Optional<Bytes32> identity) {}

    /** An answer and when it was fetched; {@code invalidated} once a change to it was seen after that. */
    private record Cached<T>(T value, Instant fetchedAt, boolean invalidated) {

        Cached<T> invalidate(Instant at) {
            return new Cached<>(value, at, true);
        }
    }

    private record ConsentKey(Bytes32 patient, String grantee) {}

    private final Ledger ledger;
    private final Pseudonyms pseudonyms;
    private final Duration ttl;
    private final boolean failClosed;
    private final Clock clock;
    private final ConcurrentHashMap<String, Cached<Account>> accounts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ConsentKey, Cached<ConsentGrant>> consents = new ConcurrentHashMap<>();
    private final AutoCloseable subscription;

    public ChainAuthority(Ledger ledger, Pseudonyms pseudonyms, AuthorizationProperties settings, Clock clock) {
        this.ledger = ledger;
        this.pseudonyms = pseudonyms;
        this.ttl = settings.cacheTtl();
        this.failClosed = settings.failClosed();
        this.clock = clock;
        this.subscription = ledger.addListener(new LedgerListener() {
            @Override
            public void onRoleChange(RoleChange change) {
                forgetAccount(change.account());
            }

            @Override
            public void onConsentChange(ConsentChange change) {
                forgetConsent(change.patient(), change.grantee());
            }
        });
    }

    /** The caller's roles, and its fhirUser if the chain binds the caller's address to that fhirUser. */
    public Subject subject(Caller caller) {
        Account account = account(caller.ledgerAddress());
        if (caller.actingThrough() != null) {
            // Another member's clinician: a clinician here at most, whatever else the account holds (a member's
            // token never widens), and no fhirUser (theirs names a resource at their institution, not here).
            return new Subject(
                    caller, account.roles().contains(Role.CLINICIAN) ? Set.of(Role.CLINICIAN) : Set.of(), null);
        }
        String fhirUser = caller.fhirUser();
        boolean verified = fhirUser != null
                && account.identity().isPresent()
                && account.identity().get().equals(pseudonyms.of(fhirUser));
        return new Subject(caller, account.roles(), verified ? fhirUser : null);
    }

    /** Whether the patient's consent on chain lets grantee do action on resources of that type now. */
    public boolean consents(String patientId, String grantee, ConsentAction action, String resourceType) {
        Bytes32 patient = pseudonyms.of("Patient", patientId);
        ConsentKey key = new ConsentKey(patient, normal(grantee));
        ConsentGrant grant = cached(consents, key, () -> ledger.consentOf(patient, grantee), "consent");
        return grant.permits(action, resourceType, clock.instant());
    }

    /** The account bound to a user's pseudonym (e.g. the Practitioner a Consent names), if any. */
    public Optional<String> accountOf(String fhirUser) {
        try {
            return ledger.accountOf(pseudonyms.of(fhirUser));
        } catch (LedgerException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached to resolve a user's account. "
                            + "Nothing was stored or changed. Retry later.",
                    e);
        }
    }

    /**
     * The account a Consent actor ({@link ConsentTerms#actors()}) names: a ledger account is itself, a Practitioner
     * the account bound to its pseudonym, if any.
     */
    public Optional<String> accountOfActor(String actor) {
        return ConsentTerms.isAccount(actor) ? Optional.of(actor) : accountOf(actor);
    }

    public void forgetAccount(String account) {
        invalidate(accounts, normal(account));
    }

    public void forgetConsent(Bytes32 patient, String grantee) {
        invalidate(consents, new ConsentKey(patient, normal(grantee)));
    }

    private <K, V> void invalidate(ConcurrentHashMap<K, Cached<V>> cache, K key) {
        Instant now = clock.instant();
        cache.compute(key, (k, old) -> old == null ? new Cached<>(null, now, true) : old.invalidate(now));
    }

    private Account account(String address) {
        return cached(
                accounts,
                normal(address),
                () -> new Account(ledger.rolesOf(address), ledger.identityOf(address)),
                "roles");
    }

    private <K, V> V cached(ConcurrentHashMap<K, Cached<V>> cache, K key, Supplier<V> fetch, String what) {
        Instant now = clock.instant();
        Cached<V> hit = cache.get(key);
        if (hit != null && !hit.invalidated() && hit.fetchedAt().plus(ttl).isAfter(now)) return hit.value();
        try {
            V value = fetch.get();
            // An invalidation is dated: a fetch that started before it must not put the old state back as fresh.
            cache.compute(
                    key,
                    (k, old) -> old == null || old.fetchedAt().isBefore(now) ? new Cached<>(value, now, false) : old);
            return value;
        } catch (LedgerException e) {
            // fail open uses the last answer only if no change to it was seen since
            if (hit != null && hit.value() != null && !hit.invalidated() && !failClosed) {
                log.warn(
                        "ledger unreachable ({}); using a stale cached {} entry (authorization.fail-closed=false)",
                        e.getClass().getSimpleName(),
                        what);
                return hit.value();
            }
            throw new AuthorizationUnavailableException(
                    "Access cannot be decided: the ledger holding roles and "
                            + "consents cannot be reached. Retry later.",
                    e);
        }
    }

    private static String normal(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() throws Exception {
        subscription.close();
    }
}
