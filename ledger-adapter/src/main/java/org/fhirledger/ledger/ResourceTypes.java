package org.fhirledger.ledger;

import java.math.BigInteger;
import java.util.List;

/**
 * The fixed table mapping FHIR resource types to bit indexes of a consent's resource-type mask. Append only:
 * an index, once used on chain, never changes meaning. Types not listed share the last bit, {@link #OTHER}.
 */
public final class ResourceTypes {
    public static final List<String> TABLE = List.of(
            "Patient",
            "Observation",
            "Condition",
            "Encounter",
            "MedicationRequest",
            "MedicationStatement",
            "AllergyIntolerance",
            "Procedure",
            "Immunization",
            "DiagnosticReport",
            "DocumentReference",
            "CarePlan",
            "CareTeam",
            "Goal",
            "ServiceRequest",
            "Claim",
            "ExplanationOfBenefit",
            "Coverage",
            "ImagingStudy",
            "Device",
            "Provenance",
            "QuestionnaireResponse",
            "Consent",
            "AuditEvent",
            "Specimen",
            "FamilyMemberHistory",
            "MedicationAdministration",
            "Communication",
            "Appointment");
    public static final int OTHER = 255;
    /** Every bit set: the consent covers all resource types. */
    public static final BigInteger ALL = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

    private ResourceTypes() {}

    public static int bitOf(String resourceType) {
        int i = TABLE.indexOf(resourceType);
        return i >= 0 ? i : OTHER;
    }

    public static BigInteger maskOf(List<String> resourceTypes) {
        BigInteger mask = BigInteger.ZERO;
        for (String t : resourceTypes) {
            mask = mask.setBit(bitOf(t));
        }
        return mask;
    }
}
