package org.fhirledger.server.smart.dev;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.util.List;
import java.util.stream.Collectors;
import org.fhirledger.server.authz.VisiblePatients;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/**
 * The patient picker (Spring Authorization Server's consent page, dev mode): the signed-in user picks, among the
 * patients they may see (a clinician's consenting patients), the one an app asking for {@code launch/patient} works
 * on. Posts the requested scopes and the pick back to the authorisation endpoint, where {@link PickedPatient} checks
 * the pick again.
 */
@RestController
final class PatientPickerPage {

    static final String PATH = "/oauth2/pick-patient";

    private final ObjectProvider<VisiblePatients> patients;
    private final ObjectProvider<DaoRegistry> daos;
    private final DevLedgerAccounts accounts;

    PatientPickerPage(
            ObjectProvider<VisiblePatients> patients, ObjectProvider<DaoRegistry> daos, DevLedgerAccounts accounts) {
        this.patients = patients;
        this.daos = daos;
        this.accounts = accounts;
    }

    @GetMapping(path = PATH, produces = MediaType.TEXT_HTML_VALUE)
    String page(
            @RequestParam("client_id") String clientId,
            @RequestParam("state") String state,
            @RequestParam(name = "scope", defaultValue = "") String scope) {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        DevUser user = auth != null && auth.getPrincipal() instanceof DevUser u ? u : null;
        VisiblePatients visible = patients.getIfAvailable();
        List<String> ids = user == null || visible == null ? List.of() : visible.of(accounts.caller(user));
        String choices = ids.isEmpty()
                ? "<p role=\"alert\">You may see no patient: none can be picked.</p>"
                : ids.stream()
                        .map(id -> "<label><input type=\"radio\" name=\"patient\" value=\"" + html(id) + "\" required> "
                                + html(name(id)) + " (Patient/" + html(id) + ")</label><br>")
                        .collect(Collectors.joining("\n"));
        String scopes = java.util.Arrays.stream(scope.split(" "))
                .filter(s -> !s.isBlank())
                .map(s -> "<input type=\"hidden\" name=\"scope\" value=\"" + html(s) + "\">")
                .collect(Collectors.joining());
        return """
				<!DOCTYPE html>
				<html lang="en"><head><meta charset="utf-8"><title>fhir-ledger: pick a patient</title></head>
				<body>
				<h1>Pick a patient</h1>
				<p>The app <code>%s</code> asks to work on one patient. Pick among those you may see.</p>
				<form method="post" action="/oauth2/authorize">
				%s
				<input type="hidden" name="client_id" value="%s">
				<input type="hidden" name="state" value="%s">
				%s
				<button type="submit">Continue</button>
				</form>
				</body></html>
				""".formatted(html(clientId), choices, html(clientId), html(state), scopes);
    }

    private String name(String id) {
        try {
            Patient p = (Patient) daos.getObject()
                    .getResourceDao("Patient")
                    .read(new IdType("Patient", id), new SystemRequestDetails());
            return p.hasName() ? p.getNameFirstRep().getNameAsSingleString() : "";
        } catch (BaseServerResponseException | ClassCastException e) {
            return "";
        }
    }

    private static String html(String s) {
        return HtmlUtils.htmlEscape(s);
    }
}
