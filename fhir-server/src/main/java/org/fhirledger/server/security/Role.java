package org.fhirledger.server.security;

/** The consortium's roles. Which address holds which role is decided on the chain, not by tokens. */
public enum Role {
	ADMIN,
	CLINICIAN,
	PATIENT,
	AUDITOR,
	CUSTODIAN
}
