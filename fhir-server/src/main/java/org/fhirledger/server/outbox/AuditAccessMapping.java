package org.fhirledger.server.outbox;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.server.record.AuditShape;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * Turns an AuditEvent (shape: {@link AuditShape}) into the access-ledger entry the writer appends:
 * <ul>
 *   <li>actor: the requestor agent's {@code who.identifier} of {@link AuditShape#LEDGER_ADDRESS_SYSTEM}; without
 *       one (e.g. an AuditEvent a client posted) the server's own account;</li>
 *   <li>patient / resource: pseudonym of the entity with role {@link AuditShape#ROLE_PATIENT} /
 *       {@link AuditShape#ROLE_DOMAIN_RESOURCE} ({@code what.reference}, else {@code what.identifier} value, as
 *       {@code Type/id}), else {@link Bytes32#ZERO};</li>
 *   <li>action C=1, R=2, U=3, D=4, E=5, anything else 0; outcome "0" is ALLOWED, anything else DENIED;</li>
 *   <li>time: {@code recorded} in unix seconds (now if absent); audit hash: the caller's content hash of the
 *       AuditEvent JSON.</li>
 * </ul>
 */
public final class AuditAccessMapping {

    private final Function<String, Bytes32> pseudonymOf;
    private final String serverAccount;

    /**
     * @param pseudonymOf   pseudonym of a relative {@code Type/id} reference
     * @param serverAccount the server's own ledger address, for AuditEvents without a requestor address
     */
    public AuditAccessMapping(Function<String, Bytes32> pseudonymOf, String serverAccount) {
        this.pseudonymOf = pseudonymOf;
        this.serverAccount = serverAccount.toLowerCase(Locale.ROOT);
    }

    public AccessEntry map(AuditEvent event, Bytes32 auditHash) {
        return new AccessEntry(
                actor(event),
                entity(event, AuditShape.ROLE_PATIENT),
                entity(event, AuditShape.ROLE_DOMAIN_RESOURCE),
                action(event),
                outcome(event),
                time(event),
                auditHash);
    }

    String actor(AuditEvent event) {
        for (AuditEvent.AuditEventAgentComponent agent : event.getAgent()) {
            if (!agent.getRequestor()) continue;
            Identifier id = agent.getWho().getIdentifier();
            if (AuditShape.LEDGER_ADDRESS_SYSTEM.equals(id.getSystem())
                    && id.getValue() != null
                    && id.getValue().matches("0x[0-9a-fA-F]{40}")) {
                return id.getValue().toLowerCase(Locale.ROOT);
            }
        }
        return serverAccount;
    }

    Bytes32 entity(AuditEvent event, String role) {
        for (AuditEvent.AuditEventEntityComponent entity : event.getEntity()) {
            Coding r = entity.getRole();
            if (!AuditShape.OBJECT_ROLE_SYSTEM.equals(r.getSystem()) || !role.equals(r.getCode())) continue;
            Optional<String> target = relative(entity.getWhat());
            if (target.isPresent()) return target.get().isEmpty() ? Bytes32.ZERO : safePseudonym(target.get());
        }
        return Bytes32.ZERO;
    }

    private Optional<String> relative(Reference what) {
        if (what.hasReference()) {
            IdType id = new IdType(what.getReference());
            if (id.hasResourceType() && id.hasIdPart()) return Optional.of(id.getResourceType() + "/" + id.getIdPart());
            return Optional.of("");
        }
        if (what.hasIdentifier() && what.getIdentifier().hasValue())
            return Optional.of(what.getIdentifier().getValue());
        return Optional.empty();
    }

    private Bytes32 safePseudonym(String reference) {
        try {
            return pseudonymOf.apply(reference);
        } catch (IllegalArgumentException e) {
            return Bytes32.ZERO; // not a Type/id: nothing identifiable to key on
        }
    }

    static int action(AuditEvent event) {
        if (!event.hasAction()) return 0;
        return switch (event.getAction()) {
            case C -> 1;
            case R -> 2;
            case U -> 3;
            case D -> 4;
            case E -> 5;
            default -> 0;
        };
    }

    static AccessEntry.Outcome outcome(AuditEvent event) {
        return event.hasOutcome()
                        && AuditShape.OUTCOME_SUCCESS.equals(event.getOutcome().toCode())
                ? AccessEntry.Outcome.ALLOWED
                : AccessEntry.Outcome.DENIED;
    }

    static long time(AuditEvent event) {
        Instant t = event.hasRecorded() ? event.getRecorded().toInstant() : Instant.now();
        return Math.max(0, t.getEpochSecond());
    }
}
