package org.fhirledger.server.exchange;

import ca.uhn.fhir.rest.annotation.Operation;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import java.text.ParseException;
import java.util.Locale;
import org.fhirledger.ledger.Institution;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * {@code GET /fhir/$institutions}: the consortium's active members as this server sees them (custodian account,
 * Organization identifier, FHIR base URL, the thumbprint of the key it authenticates with; {@code self} marks this
 * server). Nothing here is about a person; any caller holding a role may ask.
 */
public final class InstitutionsOperation {

    private final ConsortiumView consortium;

    public InstitutionsOperation(ConsortiumView consortium) {
        this.consortium = consortium;
    }

    @Operation(name = "$institutions", idempotent = true)
    public Parameters institutions() {
        Parameters out = new Parameters();
        for (Institution m : consortium.members()) {
            Parameters.ParametersParameterComponent member = out.addParameter().setName("member");
            member.addPart().setName("custodian").setValue(new StringType(m.custodian()));
            member.addPart().setName("organization").setValue(new StringType(m.organization()));
            member.addPart().setName("fhirBaseUrl").setValue(new UriType(m.fhirBaseUrl()));
            member.addPart().setName("keyThumbprint").setValue(new StringType(thumbprint(m.authKeyJwk())));
            member.addPart()
                    .setName("self")
                    .setValue(new BooleanType(
                            m.custodian().toLowerCase(Locale.ROOT).equals(consortium.self())));
        }
        return out;
    }

    /** RFC 7638 thumbprint (SHA-256, base64url) of the member's public key; a key that is no JWK says so. */
    static String thumbprint(String jwk) {
        try {
            return JWK.parse(jwk).computeThumbprint().toString();
        } catch (ParseException | JOSEException e) {
            return "not-a-jwk";
        }
    }
}
