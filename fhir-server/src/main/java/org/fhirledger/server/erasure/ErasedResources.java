package org.fhirledger.server.erasure;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.authz.Compartments;
import org.fhirledger.server.authz.RequestState;
import org.fhirledger.server.fhir.InterceptorOrder;
import org.fhirledger.server.proof.ErasedRecords;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Thin: erased resources answer 410 Gone (read, vread, history, update, patch, delete, operations on them, and a
 * search by {@code _id} or naming an erased patient), after the authorisation check of the request; and an erased
 * id can never be written again (a PUT would otherwise re-create it, also inside a transaction). {@code $verify}
 * of an erased resource is answered from the ledger for auditors and the custodian; {@code $erase} itself completes
 * an unfinished erasure and answers "already erased" otherwise.
 */
@Interceptor
public final class ErasedResources implements ErasedRecords {

    private final ErasureRegistry registry;
    private final Pseudonyms pseudonyms;
    private final Compartments compartments;

    ErasedResources(ErasureRegistry registry, Pseudonyms pseudonyms, Compartments compartments) {
        this.registry = registry;
        this.pseudonyms = pseudonyms;
        this.compartments = compartments;
    }

    @Override
    public Optional<Instant> erasedAt(String resourceType, String id) {
        return erasure(resourceType, id).map(ErasureRegistry.Erasure::erasedAt);
    }

    private Optional<ErasureRegistry.Erasure> erasure(String type, String id) {
        if (type == null || id == null) return Optional.empty();
        try {
            return registry.erasureOf(pseudonyms.of(type, id));
        } catch (IllegalArgumentException notAnId) {
            return Optional.empty();
        }
    }

    // after the authorisation layer's check of the request: a caller it refuses learns nothing here
    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = InterceptorOrder.AFTER_AUTHORIZATION)
    public void preHandled(RequestDetails rd, RestOperationTypeEnum op) {
        if (rd instanceof SystemRequestDetails || op == RestOperationTypeEnum.METADATA) return;
        String operation = rd.getOperation();
        if ("$erase".equals(operation)) return;
        IIdType id = rd.getId();
        if (id != null && id.hasIdPart()) {
            String type = id.hasResourceType() ? id.getResourceType() : rd.getResourceName();
            Optional<ErasureRegistry.Erasure> e = erasure(type, id.getIdPart());
            if (e.isEmpty()) return;
            if ("$verify".equals(operation) && maySeeProofs(rd)) return;
            throw gone(type + "/" + id.getIdPart(), e.get());
        }
        if (op == RestOperationTypeEnum.SEARCH_TYPE) searched(rd);
    }

    private void searched(RequestDetails rd) {
        String type = rd.getResourceName();
        for (Map.Entry<String, String[]> p : rd.getParameters().entrySet()) {
            String name = p.getKey().contains(":")
                    ? p.getKey().substring(0, p.getKey().indexOf(':'))
                    : p.getKey();
            boolean byId = "_id".equals(name);
            boolean byPatient = compartments.patientParams(type).contains(name);
            if (!byId && !byPatient) continue;
            for (String value : p.getValue()) {
                for (String v : value.split(",")) {
                    String target = byId
                            ? type + "/" + v.trim()
                            : Compartments.patientIdOf(v, true)
                                    .map(pid -> "Patient/" + pid)
                                    .orElse(null);
                    if (target == null) continue;
                    int slash = target.indexOf('/');
                    Optional<ErasureRegistry.Erasure> e =
                            erasure(target.substring(0, slash), target.substring(slash + 1));
                    if (e.isPresent()) throw gone(target, e.get());
                }
            }
        }
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void creating(IBaseResource resource) {
        refuseErasedId(resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void updating(IBaseResource oldResource, IBaseResource newResource) {
        refuseErasedId(newResource);
    }

    private void refuseErasedId(IBaseResource resource) {
        IIdType id = resource.getIdElement();
        if (id == null || !id.hasIdPart()) return;
        String type = resource.fhirType();
        erasure(type, id.getIdPart()).ifPresent(e -> {
            throw gone(type + "/" + id.getIdPart(), e);
        });
    }

    private static boolean maySeeProofs(RequestDetails rd) {
        RequestState state = RequestState.of(rd);
        return state != null
                && state.subject() != null
                && (state.subject().has(Role.AUDITOR) || state.subject().has(Role.CUSTODIAN));
    }

    private static ResourceGoneException gone(String ref, ErasureRegistry.Erasure e) {
        return new ResourceGoneException(ref + " was erased on " + e.erasedAt()
                + " (right to erasure); the ledger keeps" + " only the hashes of its versions");
    }
}
