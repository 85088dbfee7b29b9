package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * The patient compartment (FHIR R4 CompartmentDefinition, as HAPI knows it): which resource types belong to it
 * through which search parameters, and which patients a resource belongs to.
 */
public final class Compartments {

	private final FhirContext ctx;
	private final Map<String, Set<String>> paramsByType = new ConcurrentHashMap<>();

	public Compartments(FhirContext ctx) {
		this.ctx = ctx;
	}

	/**
	 * The search parameters that put resources of this type in a patient's compartment (plus {@code patient}, which
	 * many types have as a Patient-only variant of {@code subject}); empty if none.
	 */
	public Set<String> patientParams(String resourceType) {
		return paramsByType.computeIfAbsent(resourceType, type -> {
			Set<String> names = new LinkedHashSet<>();
			RuntimeResourceDefinition def;
			try {
				def = ctx.getResourceDefinition(type);
			} catch (RuntimeException e) {
				return Set.of();
			}
			for (RuntimeSearchParam p : def.getSearchParams()) {
				if (p.getProvidesMembershipInCompartments() != null
						&& p.getProvidesMembershipInCompartments().contains("Patient")) {
					names.add(p.getName());
				}
			}
			if (!names.isEmpty() && def.getSearchParams().stream().anyMatch(p -> "patient".equals(p.getName()))) {
				names.add("patient");
			}
			return Set.copyOf(names);
		});
	}

	/** Patient itself and every type with patient-compartment parameters. */
	public boolean isPatientData(String resourceType) {
		return "Patient".equals(resourceType) || !patientParams(resourceType).isEmpty();
	}

	/**
	 * The ids of the patients whose compartment holds the resource: a Patient is its own (its links to other
	 * patients are not ownership); other resources through their compartment parameters. Empty for a resource of
	 * a patient-compartment type that names no patient, and for types outside the compartment.
	 */
	public Set<String> owners(IBaseResource resource) {
		String type = ctx.getResourceType(resource);
		if ("Patient".equals(type)) {
			IIdType id = resource.getIdElement();
			return id == null || id.getIdPart() == null ? Set.of() : Set.of(id.getIdPart());
		}
		if (patientParams(type).isEmpty()) return Set.of();
		Set<String> owners = new LinkedHashSet<>();
		List<IIdType> ids = ctx.newTerser().getCompartmentOwnersForResource("Patient", resource, Set.of());
		for (IIdType id : ids) {
			if ("Patient".equals(id.getResourceType()) && id.getIdPart() != null) owners.add(id.getIdPart());
		}
		return owners;
	}

	/** The patient id a search value names ({@code 123}, {@code Patient/123}, or a full URL ending so), if any. */
	public static Optional<String> patientIdOf(String value, boolean bareIdMeansPatient) {
		String v = value.trim();
		int history = v.indexOf("/_history/");
		if (history >= 0) v = v.substring(0, history);
		int slash = v.lastIndexOf('/');
		if (slash < 0) {
			return bareIdMeansPatient && !v.isEmpty() ? Optional.of(v) : Optional.empty();
		}
		String type = v.substring(0, slash);
		int typeStart = type.lastIndexOf('/');
		type = typeStart < 0 ? type : type.substring(typeStart + 1);
		String id = v.substring(slash + 1);
		return "Patient".equals(type) && !id.isEmpty() ? Optional.of(id) : Optional.empty();
	}
}
