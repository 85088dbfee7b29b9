package org.fhirledger.server.outbox;

import ca.uhn.fhir.context.FhirContext;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Whose patient compartment a resource version is in, by HAPI's compartment definitions
 * ({@code FhirTerser.getCompartmentOwnersForResource("Patient", ...)}): a Patient is its own owner; a resource
 * with several patient owners (e.g. a Provenance naming two patients) belongs, for the ledger and its data key, to
 * the owner with the smallest id in string order, so every replica picks the same one; a resource with none is
 * outside any compartment.
 */
public final class PatientCompartment {

	private final FhirContext ctx;

	public PatientCompartment(FhirContext ctx) {
		this.ctx = ctx;
	}

	/** {@code Patient/<id>} of the owner, if any. */
	public Optional<String> ownerOf(IBaseResource resource) {
		if ("Patient".equals(ctx.getResourceType(resource))) {
			return Optional.of("Patient/" + resource.getIdElement().getIdPart());
		}
		return ctx.newTerser().getCompartmentOwnersForResource("Patient", resource, Set.of()).stream()
				.map(IIdType::toUnqualifiedVersionless)
				.filter(id -> "Patient".equals(id.getResourceType()) && id.hasIdPart())
				.map(IIdType::getIdPart)
				.min(Comparator.naturalOrder())
				.map(id -> "Patient/" + id);
	}
}
