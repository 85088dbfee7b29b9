package org.fhirledger.server.authz;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Consent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * A data directory from before {@link ConsentedPatients} existed has consents it does not list: once the application
 * is ready, the current version of every patient-privacy Consent that grants lists its patient for each actor with a
 * ledger account (in the background, once). When it cannot finish (the chain is down) it runs again at the next
 * start; listing twice is harmless.
 */
final class ConsentedPatientsBackfill implements ApplicationListener<ApplicationReadyEvent> {
    private static final Logger log = LoggerFactory.getLogger(ConsentedPatientsBackfill.class);
    private static final int PAGE = 500;

    private final ConsentedPatients listed;
    private final ObjectProvider<DaoRegistry> daos;
    private final ObjectProvider<ChainAuthority> chain;

    ConsentedPatientsBackfill(
            ConsentedPatients listed, ObjectProvider<DaoRegistry> daos, ObjectProvider<ChainAuthority> chain) {
        this.listed = listed;
        this.daos = daos;
        this.chain = chain;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (listed.filled()) return;
        Thread t = new Thread(this::fill, "consented-patients-backfill");
        t.setDaemon(true);
        t.start();
    }

    private void fill() {
        try {
            IBundleProvider all = daos.getObject()
                    .getResourceDao("Consent")
                    .search(new SearchParameterMap(), new SystemRequestDetails());
            int n = 0;
            for (int from = 0; ; from += PAGE) {
                List<IBaseResource> page = all.getResources(from, from + PAGE);
                if (page.isEmpty()) break;
                for (IBaseResource r : page) n += list(r);
            }
            listed.markFilled(System.currentTimeMillis());
            if (n > 0) log.info("listed {} consented patients of consents granted before the list existed", n);
        } catch (RuntimeException e) {
            log.warn(
                    "the consented-patient list could not be filled ({}); it is filled again at the next start",
                    e.getClass().getSimpleName());
        }
    }

    private int list(IBaseResource r) {
        if (!(r instanceof Consent c) || !ConsentTerms.isMirrored(c)) return 0;
        ConsentTerms terms;
        try {
            terms = ConsentTerms.stored(c);
        } catch (BaseServerResponseException e) {
            return 0; // never accepted by the mirror
        }
        if (terms.effect() != ConsentTerms.Effect.GRANT) return 0;
        int n = 0;
        for (String actor : terms.actors()) {
            String account = chain.getObject().accountOfActor(actor).orElse(null);
            if (account == null) continue;
            listed.add(account, terms.patientId());
            n++;
        }
        return n;
    }
}
