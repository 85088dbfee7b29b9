package org.fhirledger.server.erasure;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.server.authz.Compartments;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Which resources an erasure removes: those the authorisation layer counts as the patient's
 * ({@link Compartments#owners}) among the current resources that name the patient, and every resource any of whose
 * recorded versions was written into the patient's compartment, as the outbox remembers by patient pseudonym, and
 * that is deleted now (a live one that is no longer the patient's is another patient's data). Consents are
 * patient-compartment resources, so they are among them.
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
        scan(patientId, (ref, owners) -> out.add(ref));
        // deleted resources, found by the patient pseudonym their versions were recorded under; a live one that is
        // no longer the patient's (moved to another patient, the patient taken out of a group) is someone else's now
        for (String ref : jdbc.queryForList(
                "select distinct res_type || '/' || res_id from fl_outbox where kind = 'RECORD'"
                        + " and patient_pn = ? and res_type <> 'Patient' and res_type <> 'AuditEvent'",
                String.class,
                patient.toHex())) {
            if (!out.contains(ref) && !live(ref)) out.add(ref);
        }
        out.add("Patient/" + patientId);
        return out;
    }

    /**
     * {@code Type/id} of the patient's current resources that are other patients' too (a Group, a shared
     * encounter note): erasing them would take the other patients' data with them.
     */
    Set<String> sharedWithOthers(String patientId) {
        Set<String> shared = new LinkedHashSet<>();
        scan(patientId, (ref, owners) -> {
            if (owners.size() > 1) shared.add(ref);
        });
        return shared;
    }

    /** Whether the resource has a current (not deleted) version. */
    boolean live(String ref) {
        IdType id = new IdType(ref);
        try {
            daos.getResourceDao(id.getResourceType()).read(id, new SystemRequestDetails());
            return true;
        } catch (ResourceGoneException | ResourceNotFoundException e) {
            return false;
        }
    }

    private void scan(String patientId, BiConsumer<String, Set<String>> found) {
        for (String type : daos.getRegisteredDaoTypes()) {
            if ("Patient".equals(type) || "AuditEvent".equals(type) || !compartments.isPatientData(type)) continue;
            IFhirResourceDao<?> dao = daos.getResourceDao(type);
            for (String param : compartments.patientParams(type)) {
                SearchParameterMap map = SearchParameterMap.newSynchronous();
                map.add(param, new ReferenceParam("Patient/" + patientId));
                IBundleProvider hits;
                try {
                    hits = dao.search(map, new SystemRequestDetails());
                } catch (RuntimeException notSearchable) {
                    continue; // a compartment parameter this server does not index
                }
                for (IBaseResource r : hits.getAllResources()) {
                    Set<String> owners = compartments.owners(r);
                    if (owners.contains(patientId))
                        found.accept(type + "/" + r.getIdElement().getIdPart(), owners);
                }
            }
        }
    }
}
