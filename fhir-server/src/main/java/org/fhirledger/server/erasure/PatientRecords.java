package org.fhirledger.server.erasure;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import java.util.LinkedHashSet;
import java.util.Set;
import org.fhirledger.ledger.Bytes32;
import org.fhirledger.server.authz.Compartments;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Which resources an erasure removes: those the authorisation layer counts as the patient's
 * ({@link Compartments#owners}) among the current resources that name the patient, and every resource any of whose
 * recorded versions (deleted ones and older history included) was written into the patient's compartment, as the
 * outbox remembers by patient pseudonym. Consents are patient-compartment resources, so they are among them.
 */
final class PatientRecords {

	private final DaoRegistry daos;
	private final Compartments compartments;
	private final JdbcTemplate jdbc;

	PatientRecords(DaoRegistry daos, Compartments compartments, JdbcTemplate jdbc) {
		this.daos = daos;
		this.compartments = compartments;
		this.jdbc = jdbc;
	}

	/** {@code Type/id} of every resource of the patient, the Patient itself last. */
	Set<String> of(String patientId, Bytes32 patient) {
		Set<String> out = new LinkedHashSet<>();
		for (String type : daos.getRegisteredDaoTypes()) {
			if ("Patient".equals(type) || "AuditEvent".equals(type) || !compartments.isPatientData(type)) continue;
			IFhirResourceDao<?> dao = daos.getResourceDao(type);
			for (String param : compartments.patientParams(type)) {
				SearchParameterMap map = SearchParameterMap.newSynchronous();
				map.add(param, new ReferenceParam("Patient/" + patientId));
				IBundleProvider found;
				try {
					found = dao.search(map, new SystemRequestDetails());
				} catch (RuntimeException notSearchable) {
					continue; // a compartment parameter this server does not index
				}
				for (IBaseResource r : found.getAllResources()) {
					if (compartments.owners(r).contains(patientId)) out.add(type + "/" + r.getIdElement().getIdPart());
				}
			}
		}
		out.addAll(jdbc.queryForList("select distinct res_type || '/' || res_id from fl_outbox where kind = 'RECORD'"
				+ " and patient_pn = ? and res_type <> 'Patient' and res_type <> 'AuditEvent'", String.class, patient.toHex()));
		out.add("Patient/" + patientId);
		return out;
	}
}
