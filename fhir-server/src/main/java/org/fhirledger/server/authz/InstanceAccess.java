package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.fhirledger.ledger.Role;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * An interaction on one resource (read, vread, its history, $everything, $verify, $locate, update, patch, delete) by a caller
 * who may not see it answers exactly as if the id did not exist: 404 with HAPI's own text. So does one on an id
 * that does not exist (or was deleted), for the types a caller may not see every resource of; an update there
 * does not create the resource either (update-as-create with a client id would tell which ids are taken).
 */
final class InstanceAccess {

    private static final Set<RestOperationTypeEnum> ON_ONE = Set.of(
            RestOperationTypeEnum.READ,
            RestOperationTypeEnum.VREAD,
            RestOperationTypeEnum.HISTORY_INSTANCE,
            RestOperationTypeEnum.UPDATE,
            RestOperationTypeEnum.PATCH,
            RestOperationTypeEnum.DELETE);

    private final AccessPolicy policy;
    private final Function<IIdType, Optional<IBaseResource>> loader;

    /** @param loader reads a resource's current version as the server (no authorisation); empty if missing or deleted */
    InstanceAccess(AccessPolicy policy, Function<IIdType, Optional<IBaseResource>> loader) {
        this.policy = policy;
        this.loader = loader;
    }

    /** @throws ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException when the caller may not see the target */
    void check(Subject s, RequestDetails rd, RestOperationTypeEnum op) {
        IIdType id = rd.getId();
        String type = rd.getResourceName();
        if (s.has(Role.CUSTODIAN) || id == null || !id.hasIdPart() || type == null) return;
        String operation = rd.getOperation();
        boolean onOne = ON_ONE.contains(op)
                || (op == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE
                        && ("$everything".equals(operation)
                                || "$verify".equals(operation)
                                || "$locate".equals(operation)
                                || "$verify-import".equals(operation)));
        if (!onOne) return;
        if ("$verify".equals(operation) && s.has(Role.AUDITOR)) return; // an auditor verifies anything
        check(s, type, id, RequestState.of(rd));
    }

    /** As {@link #check(Subject, RequestDetails, RestOperationTypeEnum)}, for a transaction or batch entry on Type/id. */
    void check(Subject s, String type, IIdType id, RequestState state) {
        if (s.has(Role.CUSTODIAN) || everyOneVisible(s, type)) return;
        Optional<IBaseResource> current = loader.apply(id.withResourceType(type).toUnqualifiedVersionless());
        if (current.isEmpty()) throw Refusals.notKnown(type, id.getIdPart());
        Decision d = policy.canSeeStored(s, current.get()); // the loader read it from the database
        if (d.allowed()) return;
        if (state != null) {
            state.addTouched(
                    policy.compartments().ownershipOfStored(current.get()).patients());
            state.denial(d.reason());
        }
        throw Refusals.notKnown(type, id.getIdPart());
    }

    /** Types of which this caller may see every resource: HAPI's own answers tell nothing there. */
    private boolean everyOneVisible(Subject s, String type) {
        if (AccessPolicy.DIRECTORY_TYPES.contains(type)) return true;
        if ("AuditEvent".equals(type)) return s.has(Role.AUDITOR);
        if (AccessPolicy.CUSTODIAN_ONLY_TYPES.contains(type)
                || policy.compartments().isPatientData(type)) return false;
        return s.has(Role.CLINICIAN) || s.has(Role.PATIENT) || s.has(Role.ADMIN);
    }
}
