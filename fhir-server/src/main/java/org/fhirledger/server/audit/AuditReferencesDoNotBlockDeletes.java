package org.fhirledger.server.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.model.DeleteConflict;
import ca.uhn.fhir.jpa.api.model.DeleteConflictList;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The audit trail names what was accessed by reference (so {@code AuditEvent?patient=} and {@code ?entity=} work),
 * and that must not make the resource undeletable: delete conflicts whose source is an AuditEvent are dropped.
 * HAPI looks for conflicts a few at a time, so dropping the AuditEvent ones could hide a real reference it did not
 * fetch yet: they are dropped only when the database holds no reference to the target from anything else.
 */
@Interceptor
public final class AuditReferencesDoNotBlockDeletes {

    private final JdbcTemplate jdbc;

    public AuditReferencesDoNotBlockDeletes(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_DELETE_CONFLICTS)
    public void dropAuditConflicts(DeleteConflictList conflicts) {
        List<DeleteConflict> fromAudit = new ArrayList<>();
        for (DeleteConflict c : conflicts) {
            if ("AuditEvent".equals(c.getSourceId().getResourceType())) fromAudit.add(c);
        }
        if (fromAudit.isEmpty()) return;
        for (DeleteConflict c : fromAudit) {
            if (otherReferences(
                            c.getTargetId().getResourceType(), c.getTargetId().getIdPart())
                    > 0) return;
        }
        conflicts.removeIf(c -> "AuditEvent".equals(c.getSourceId().getResourceType()));
    }

    private long otherReferences(String type, String id) {
        Long n = jdbc.queryForObject(
                "select count(*) from HFJ_RES_LINK l join HFJ_RESOURCE r on r.RES_ID = l.TARGET_RESOURCE_ID "
                        + "where r.RES_TYPE = ? and r.FHIR_ID = ? and l.SRC_PATH not like 'AuditEvent.%'",
                Long.class, type, id);
        return n == null ? 0 : n;
    }
}
