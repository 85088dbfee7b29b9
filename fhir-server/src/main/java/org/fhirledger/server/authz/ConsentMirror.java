package org.fhirledger.server.authz;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ConsentLedger;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Consent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Mirrors patient-privacy Consents to ConsentRegistry, inside the database transaction that stores them: the
 * terms are checked before storage (422), the chain is written just before commit and the transaction fails
 * (and nothing is stored) when the chain refuses or cannot be reached. The server signs as the patient's
 * custodian; the chain records that it did.
 */
@Interceptor
public final class ConsentMirror {

    private static final Logger LOG = LoggerFactory.getLogger(ConsentMirror.class);

    private final ConsentLedger ledger;
    private final ChainAuthority chain;
    private final Pseudonyms pseudonyms;
    private final Clock clock;
    private final ConsentedPatients listed;
    private final ConsentActors accounts;
    private final Supplier<List<ConsentChangeListener>> changeListeners;

    ConsentMirror(
            ConsentLedger ledger,
            ChainAuthority chain,
            Pseudonyms pseudonyms,
            Clock clock,
            ConsentedPatients listed,
            ConsentActors accounts,
            Supplier<List<ConsentChangeListener>> changeListeners) {
        this.changeListeners = changeListeners;
        this.listed = listed;
        this.accounts = accounts;
        this.ledger = ledger;
        this.chain = chain;
        this.pseudonyms = pseudonyms;
        this.clock = clock;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void validateCreate(IBaseResource resource) {
        if (resource instanceof Consent c && ConsentTerms.isMirrored(c)) ConsentTerms.of(c, clock.instant());
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void validateUpdate(IBaseResource oldResource, IBaseResource newResource) {
        if (newResource instanceof Consent c && ConsentTerms.isMirrored(c)) {
            ConsentTerms terms = ConsentTerms.of(c, clock.instant());
            if (oldResource instanceof Consent old
                    && ConsentTerms.isMirrored(old)
                    && !ConsentTerms.stored(old).patientId().equals(terms.patientId())) {
                throw new UnprocessableEntityException("Consent not accepted: Consent.patient cannot change");
            }
        }
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void created(IBaseResource resource) {
        if (resource instanceof Consent c && ConsentTerms.isMirrored(c))
            apply(null, ConsentTerms.of(c, clock.instant()));
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    public void updated(IBaseResource oldResource, IBaseResource newResource) {
        ConsentTerms before =
                oldResource instanceof Consent o && ConsentTerms.isMirrored(o) ? ConsentTerms.stored(o) : null;
        if (newResource instanceof Consent c && ConsentTerms.isMirrored(c)) {
            apply(before, ConsentTerms.of(c, clock.instant()));
        } else if (before != null && before.effect() == ConsentTerms.Effect.GRANT) {
            // no longer a patient-privacy Consent (its scope changed): what it granted ends with it
            revokeAll(before.patientId(), before.actors());
        }
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
    public void deleted(IBaseResource resource) {
        if (resource instanceof Consent c && ConsentTerms.isMirrored(c)) {
            ConsentTerms terms = ConsentTerms.stored(c);
            if (terms.effect() == ConsentTerms.Effect.GRANT) revokeAll(terms.patientId(), terms.actors());
        }
    }

    private void apply(ConsentTerms before, ConsentTerms after) {
        Set<String> dropped = new LinkedHashSet<>();
        if (before != null && before.effect() == ConsentTerms.Effect.GRANT) dropped.addAll(before.actors());
        switch (after.effect()) {
            case GRANT -> {
                dropped.removeAll(after.actors());
                Bytes32 patient = pseudonyms.of("Patient", after.patientId());
                // every actor's account first: a Consent refused for one actor must not have granted the others
                java.util.Map<String, String> accounts = new java.util.LinkedHashMap<>();
                for (String actor : after.actors()) {
                    if (ConsentTerms.isAccount(actor)) {
                        this.accounts.check(actor); // named by account: a clinician of an active member
                        accounts.put(actor, actor);
                        continue;
                    }
                    accounts.put(
                            actor,
                            chain.accountOf(actor)
                                    .orElseThrow(() -> new UnprocessableEntityException("Consent not accepted: " + actor
                                            + " has no ledger account (an ADMIN assigns it a role "
                                            + "with $assign-role first)")));
                }
                for (String account : accounts.values()) {
                    call(() -> ledger.grantConsent(
                            patient, account, after.actions(), after.resourceTypes(), after.expiry()));
                    chain.forgetConsent(patient, account);
                    listed.add(account, after.patientId());
                }
                afterCommit(after.patientId(), List.copyOf(accounts.values()));
            }
            case REVOKE -> dropped.addAll(after.actors());
            case NONE -> {}
        }
        revokeAll(after.patientId(), List.copyOf(dropped));
    }

    /** The listeners, once the Consent is committed (a rolled-back Consent changed nothing). */
    private void afterCommit(String patientId, List<String> accounts) {
        afterCommit(patientId, accounts, true);
    }

    private void afterCommit(String patientId, List<String> accounts, boolean granted) {
        Runnable tell = () -> {
            for (ConsentChangeListener l : changeListeners.get()) {
                try {
                    if (granted) l.granted(patientId, accounts);
                    else l.revoked(patientId, accounts);
                } catch (RuntimeException e) {
                    LOG.warn("a consent grant listener failed: {}", e.getClass().getSimpleName());
                }
            }
        };
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    tell.run();
                }
            });
        } else {
            tell.run();
        }
    }

    private void revokeAll(String patientId, List<String> actors) {
        Bytes32 patient = pseudonyms.of("Patient", patientId);
        List<String> revoked = new java.util.ArrayList<>();
        for (String actor : actors) {
            String account = chain.accountOfActor(actor).orElse(null);
            if (account == null) continue; // no account: nothing can be granted to it on chain
            if (ledger.consentOf(patient, account).actions() == 0) continue; // already none
            call(() -> ledger.revokeConsent(patient, account));
            chain.forgetConsent(patient, account);
            revoked.add(account);
            // stays listed: the next listing checks the chain and drops it (unless a break-glass window is open)
        }
        if (!revoked.isEmpty()) afterCommit(patientId, List.copyOf(revoked), false);
    }

    private static void call(Runnable chainCall) {
        try {
            chainCall.run();
        } catch (ContractRevertException e) {
            throw new ResourceVersionConflictException("Consent not accepted by the ledger: " + e.getMessage());
        } catch (LedgerException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached to record this consent; " + "nothing was stored. Retry later.", e);
        }
    }
}
