package org.fhirledger.server.erasure;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/** At start-up, completes the erasures a crash interrupted (their intent is recorded); a failure is retried by the next start or a rerun of $erase. */
final class ErasureResumer implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(ErasureResumer.class);

    private final ErasureService service;

    ErasureResumer(ErasureService service) {
        this.service = service;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        for (ErasureRegistry.Erasure e : service.registry().unfinished()) {
            try {
                service.resume(e);
            } catch (RuntimeException failed) {
                // the pseudonym only: no id, no exception text that could name a resource
                log.warn(
                        "erasure of patient {} could not be completed at start-up ({}); rerun $erase",
                        e.patient().toHex(),
                        failed.getClass().getSimpleName());
            }
        }
    }
}
