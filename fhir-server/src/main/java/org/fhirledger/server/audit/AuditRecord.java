package org.fhirledger.server.audit;

import java.util.Set;
import org.fhirledger.server.security.ActingThrough;

/**
 * The compact, durable form of one audited interaction: exactly what its AuditEvent will say and nothing more (a
 * search is kept as its keyed hash and parameter names, a text names no other patient), so the audit log holds no
 * PHI beyond the AuditEvent's own. Written before the response goes out ({@link AuditLog}), turned into the BALP
 * AuditEvent later ({@link AuditMaterialiser}).
 *
 * @param id the log's sequence number (null before it is stored); the AuditEvent's id is derived from it
 * @param recordedAt when the interaction was audited (epoch milliseconds): the AuditEvent's {@code recorded}
 * @param action the AuditEvent action code (C, R, U, D, E)
 * @param outcome the {@link org.fhirledger.server.record.AuditShape} outcome code
 */
public record AuditRecord(
        Long id,
        long recordedAt,
        String address,
        String fhirUser,
        String subjectId,
        Set<String> roles,
        String interaction,
        String action,
        String outcome,
        String outcomeText,
        String patientId,
        String resource,
        String queryHash,
        String queryParameters,
        boolean breakGlass,
        String reason,
        ActingThrough actingThrough) {

    /** The prefix of the AuditEvent ids the audit log materialises; the API cannot create AuditEvents under it. */
    public static final String EVENT_ID_PREFIX = "audit-";

    /** The id of this record's AuditEvent: one per record, whoever materialises it and however often it tries. */
    public static String eventIdOf(long recordId) {
        return EVENT_ID_PREFIX + recordId;
    }

    AuditRecord withId(long newId) {
        return new AuditRecord(
                newId,
                recordedAt,
                address,
                fhirUser,
                subjectId,
                roles,
                interaction,
                action,
                outcome,
                outcomeText,
                patientId,
                resource,
                queryHash,
                queryParameters,
                breakGlass,
                reason,
                actingThrough);
    }
}
