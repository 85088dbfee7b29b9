package org.fhirledger.server.smart;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/**
 * Thin: the CapabilityStatement's {@code rest.security} says SMART-on-FHIR, with the oauth-uris extension naming
 * the same endpoints as {@code .well-known/smart-configuration}. When the IdP cannot be asked, the statement still
 * says SMART-on-FHIR and points to the well-known document.
 */
@Interceptor
public final class SmartCapabilities {

    static final String SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service";
    static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    private final AuthorizationServerLocator locator;

    SmartCapabilities(AuthorizationServerLocator locator) {
        this.locator = locator;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void declare(IBaseConformance statement, ServletRequestDetails rd) {
        if (!(statement instanceof CapabilityStatement cs) || rd == null || rd.getServletRequest() == null) return;
        for (CapabilityStatement.CapabilityStatementRestComponent rest : cs.getRest()) {
            CapabilityStatement.CapabilityStatementRestSecurityComponent security = rest.getSecurity();
            security.setCors(true);
            security.getService().clear();
            security.addService(
                    new CodeableConcept().addCoding(new Coding(SERVICE_SYSTEM, "SMART-on-FHIR", "SMART-on-FHIR")));
            security.setDescription("OAuth2 bearer tokens (SMART App Launch 2.x): see .well-known/smart-configuration");
            security.removeExtension(OAUTH_URIS);
            AuthorizationServerEndpoints as;
            try {
                as = locator.endpoints(SmartConfigurationServlet.serverBase(rd.getServletRequest()));
            } catch (RuntimeException unavailableOrNone) {
                continue;
            }
            Extension uris = security.addExtension().setUrl(OAUTH_URIS);
            uris.addExtension("authorize", new UriType(as.authorizationEndpoint()));
            uris.addExtension("token", new UriType(as.tokenEndpoint()));
            if (as.revocationEndpoint() != null) uris.addExtension("revoke", new UriType(as.revocationEndpoint()));
            if (as.introspectionEndpoint() != null)
                uris.addExtension("introspect", new UriType(as.introspectionEndpoint()));
        }
    }
}
