package org.fhirledger.server.integrity;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.util.Date;
import java.util.Locale;
import java.util.Optional;
import org.fhirledger.server.record.AuditShape;
import org.fhirledger.server.security.Caller;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A failure AuditEvent ({@link AuditShape}: action R, outcome {@link AuditShape#OUTCOME_FAILED}, the caller as
 * requestor, the resource as domain-resource entity) stored as the server ({@link SystemRequestDetails}); like every
 * AuditEvent it then goes to the access ledger through the outbox.
 */
public class AuditEventIntegrityFailureAudit implements IntegrityFailureAudit {

    private static final Logger log = LoggerFactory.getLogger(AuditEventIntegrityFailureAudit.class);
    static final String INTEGRITY_FAILURE_TEXT =
            "integrity check failed: the stored version does not match its ledger record";

    private final DaoRegistry daos;
    private final ObjectProvider<CallerAccessor> callers;
    private final TransactionTemplate newTransaction;

    public AuditEventIntegrityFailureAudit(
            DaoRegistry daos, ObjectProvider<CallerAccessor> callers, PlatformTransactionManager transactions) {
        this.daos = daos;
        this.callers = callers;
        // The refused read's transaction rolls back with the refusal: the AuditEvent commits on its own.
        this.newTransaction = new TransactionTemplate(transactions);
        this.newTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    @Override
    public void integrityFailed(RequestDetails request, String resourceType, String id, long version) {
        AuditEvent event = new AuditEvent();
        event.setType(new Coding(AuditShape.TYPE_SYSTEM, "rest", "RESTful Operation"));
        String interaction = request.getRestOperationType() == null
                ? "read"
                : request.getRestOperationType().getCode();
        event.addSubtype(new Coding(AuditShape.INTERACTION_SYSTEM, interaction, null));
        event.setAction(AuditEvent.AuditEventAction.R);
        event.setRecorded(new Date());
        event.setOutcome(AuditEvent.AuditEventOutcome._8);
        event.setOutcomeDesc(INTEGRITY_FAILURE_TEXT);
        AuditEvent.AuditEventAgentComponent agent = event.addAgent().setRequestor(true);
        Optional<Caller> caller = Optional.ofNullable(callers.getIfAvailable()).flatMap(CallerAccessor::current);
        caller.ifPresent(c -> agent.getWho()
                .setIdentifier(new Identifier()
                        .setSystem(AuditShape.LEDGER_ADDRESS_SYSTEM)
                        .setValue(c.ledgerAddress().toLowerCase(Locale.ROOT))));
        if (caller.isEmpty()) agent.getWho().setDisplay("unknown caller");
        event.getSource().setObserver(new Reference().setDisplay("fhir-ledger server"));
        event.addEntity()
                .setWhat(new Reference(resourceType + "/" + id + "/_history/" + version))
                .setRole(new Coding(AuditShape.OBJECT_ROLE_SYSTEM, AuditShape.ROLE_DOMAIN_RESOURCE, "Domain Resource"));
        try {
            newTransaction.executeWithoutResult(
                    status -> daos.getResourceDao("AuditEvent").create(event, new SystemRequestDetails()));
        } catch (RuntimeException e) {
            // The refusal still happens; the missing AuditEvent is logged (no PHI: the exception type only).
            log.error(
                    "could not store the integrity-failure AuditEvent: {}",
                    e.getClass().getSimpleName());
        }
    }
}
