package org.fhirledger.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.util.Map;
import org.hl7.fhir.r4.model.IdType;
import org.junit.jupiter.api.Test;

/**
 * Which requests wait for the audit backlog: every one that can show an AuditEvent (an AuditEvent read or search, a
 * search naming AuditEvent, a system search, an operation that can return one, an unknown operation), and none that
 * cannot ({@code $verify} of another type, {@code $ledger-status}, a plain read of another type).
 */
class ReadYourAuditsTest {

    @Test
    void requestsThatCanShowAnAuditEventWaitAndOthersDoNot() {
        assertThat(waits("AuditEvent", RestOperationTypeEnum.SEARCH_TYPE, null, Map.of()))
                .isTrue();
        assertThat(waits("AuditEvent", RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE, "$verify", Map.of()))
                .isTrue();
        assertThat(waits("Patient", RestOperationTypeEnum.SEARCH_TYPE, null, Map.of("_revinclude", new String[] {
                    "AuditEvent:patient"
                })))
                .isTrue();
        assertThat(waits(null, RestOperationTypeEnum.SEARCH_SYSTEM, null, Map.of()))
                .isTrue();
        assertThat(waits("Patient", RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE, "$everything", Map.of()))
                .isTrue();
        assertThat(waits("Patient", RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE, "$some-new-op", Map.of()))
                .as("an operation not known to show none waits")
                .isTrue();

        assertThat(waits("Patient", RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE, "$verify", Map.of()))
                .isFalse();
        assertThat(waits(null, RestOperationTypeEnum.EXTENDED_OPERATION_SERVER, "$ledger-status", Map.of()))
                .isFalse();
        assertThat(waits("Observation", RestOperationTypeEnum.READ, null, Map.of()))
                .isFalse();
    }

    @Test
    void oneAuditEventWaitsForItsOwnRecordOnly() {
        SystemRequestDetails rd = request("AuditEvent", RestOperationTypeEnum.READ, null, Map.of());
        rd.setId(new IdType("AuditEvent", AuditRecord.eventIdOf(42)));
        assertThat(ReadYourAudits.oneAuditEvent(rd)).hasValue(42);
        rd.setId(new IdType("AuditEvent", "posted-by-a-client"));
        assertThat(ReadYourAudits.oneAuditEvent(rd)).isEmpty();
    }

    private static boolean waits(
            String type, RestOperationTypeEnum op, String operation, Map<String, String[]> parameters) {
        return ReadYourAudits.readsAuditEvents(request(type, op, operation, parameters), op);
    }

    private static SystemRequestDetails request(
            String type, RestOperationTypeEnum op, String operation, Map<String, String[]> parameters) {
        SystemRequestDetails rd = new SystemRequestDetails();
        rd.setResourceName(type);
        rd.setRestOperationType(op);
        rd.setOperation(operation);
        rd.setParameters(parameters);
        return rd;
    }
}
