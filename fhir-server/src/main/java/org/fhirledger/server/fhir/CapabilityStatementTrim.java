package org.fhirledger.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;

/**
 * Thin: HAPI generates the CapabilityStatement from its providers, so it advertises operations and interactions
 * that this server refuses; they are taken out ({@link RefusedCapabilities}), so the statement lists what works.
 */
@Interceptor
public class CapabilityStatementTrim {

    private final Supplier<List<RefusedCapabilities>> refused;

    public CapabilityStatementTrim(Supplier<List<RefusedCapabilities>> refused) {
        this.refused = refused;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void trim(IBaseConformance statement) {
        if (!(statement instanceof CapabilityStatement cs)) return;
        List<RefusedCapabilities> all = refused.get();
        Set<String> operations = new HashSet<>();
        all.forEach(r -> r.operations().forEach(o -> operations.add(o.startsWith("$") ? o.substring(1) : o)));
        for (CapabilityStatementRestComponent rest : cs.getRest()) {
            rest.getOperation().removeIf(o -> operations.contains(o.getName()));
            for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
                resource.getOperation().removeIf(o -> operations.contains(o.getName()));
                Set<String> interactions = new HashSet<>();
                all.forEach(r -> interactions.addAll(r.interactions().getOrDefault(resource.getType(), Set.of())));
                if (interactions.isEmpty()) continue;
                resource.getInteraction()
                        .removeIf(i -> i.getCode() != null
                                && interactions.contains(i.getCode().toCode()));
                if (interactions.contains("update")) {
                    resource.setConditionalUpdateElement(null);
                    resource.setUpdateCreateElement(null);
                }
                if (interactions.contains("delete"))
                    resource.setConditionalDelete(CapabilityStatement.ConditionalDeleteStatus.NOTSUPPORTED);
            }
        }
    }
}
