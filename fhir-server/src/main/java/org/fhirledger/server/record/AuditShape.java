package org.fhirledger.server.record;

/**
 * The shape of the AuditEvents this server writes (after IHE BALP), shared by the code that writes them and the
 * ledger writer that turns each into an access-ledger entry:
 * <ul>
 *   <li>{@code type} = {@link #TYPE_SYSTEM}|{@code rest}, {@code subtype} = the FHIR interaction
 *       ({@link #INTERACTION_SYSTEM}: read, vread, search-type, history-instance, create, update, delete,
 *       operation, ...); {@code action} C, R, U, D or E;</li>
 *   <li>{@code outcome} {@link #OUTCOME_SUCCESS} (allowed and done), {@link #OUTCOME_DENIED} (refused by
 *       authorisation) or {@link #OUTCOME_FAILED} (allowed but failed, e.g. integrity check);</li>
 *   <li>the requestor agent ({@code requestor=true}) carries the caller's ledger address as
 *       {@code who.identifier} ({@link #LEDGER_ADDRESS_SYSTEM}, lower-case {@code 0x...}) and, when the caller's
 *       fhirUser exists here, {@code who.reference};</li>
 *   <li>the patient entity ({@link #OBJECT_ROLE_SYSTEM}|{@link #ROLE_PATIENT}) and the resource entity
 *       ({@link #ROLE_DOMAIN_RESOURCE}) name their target as {@code what.reference} ({@code Type/id}) when it
 *       exists, otherwise as {@code what.identifier} ({@link #REFERENCE_SYSTEM}, value {@code Type/id});</li>
 *   <li>a request by another consortium member's clinician has a second agent ({@code requestor=false}, type
 *       {@link #AGENT_TYPE_SYSTEM}|110150 Application, role {@link #MEMBER_ROLE_SYSTEM}|{@link #MEMBER_ROLE}): the
 *       member's custodian account as {@code who.identifier} ({@link #LEDGER_ADDRESS_SYSTEM}), its Organization
 *       identifier as {@code who.display} and {@code name};</li>
 *   <li>a break-glass access carries {@code purposeOfEvent} {@link #PURPOSE_SYSTEM}|{@link #PURPOSE_BREAK_GLASS}.</li>
 * </ul>
 */
public final class AuditShape {
    public static final String TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    public static final String INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction";
    public static final String LEDGER_ADDRESS_SYSTEM = "https://fhir-ledger.org/sid/ledger-address";
    public static final String REFERENCE_SYSTEM = "https://fhir-ledger.org/sid/reference";
    public static final String OBJECT_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/object-role";
    public static final String ROLE_PATIENT = "1";
    public static final String ROLE_DOMAIN_RESOURCE = "4";
    public static final String PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public static final String PURPOSE_BREAK_GLASS = "BTG";
    public static final String OUTCOME_SUCCESS = "0";
    public static final String OUTCOME_DENIED = "4";
    public static final String OUTCOME_FAILED = "8";
    public static final String AGENT_TYPE_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM";
    public static final String MEMBER_ROLE_SYSTEM = "https://fhir-ledger.org/CodeSystem/consortium-role";
    public static final String MEMBER_ROLE = "member";

    private AuditShape() {}
}
