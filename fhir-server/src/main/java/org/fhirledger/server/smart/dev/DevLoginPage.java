package org.fhirledger.server.smart.dev;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.fhirledger.ledger.Role;
import org.springframework.http.MediaType;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/**
 * The embedded authorisation server's login page (dev mode): the dev user picks who they are, as with
 * bin/dev-token. Posts to Spring Security's form login ({@link DevLogin}). An app asking for
 * {@code launch/patient} then has them pick the patient ({@link PatientPickerPage}).
 */
@RestController
final class DevLoginPage {

    static final String PATH = "/login";

    @GetMapping(path = PATH, produces = MediaType.TEXT_HTML_VALUE)
    String page(HttpServletRequest request) {
        CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
        String roles = Arrays.stream(Role.values())
                .map(r -> "<option value=\"" + r.name() + "\">" + r.name() + "</option>")
                .collect(Collectors.joining());
        String error = request.getParameter("error") != null
                ? "<p role=\"alert\">That did not work: pick a role and a fhirUser like Practitioner/123.</p>"
                : "";
        return """
				<!DOCTYPE html>
				<html lang="en"><head><meta charset="utf-8"><title>fhir-ledger dev login</title></head>
				<body>
				<h1>fhir-ledger: dev login</h1>
				<p>Dev mode: say who you are, as with <code>bin/dev-token ROLE --fhir-user X</code>. Your role is held on
				the local chain by the same dev account.</p>
				%s
				<form method="post" action="%s">
				<label>Role <select name="role">%s</select></label><br>
				<label>fhirUser <input name="fhirUser" placeholder="Practitioner/123"></label><br>
				<input type="hidden" name="%s" value="%s">
				<button type="submit">Sign in</button>
				</form>
				</body></html>
				""".formatted(
                        error,
                        PATH,
                        roles,
                        HtmlUtils.htmlEscape(csrf == null ? "_csrf" : csrf.getParameterName()),
                        HtmlUtils.htmlEscape(csrf == null ? "" : csrf.getToken()));
    }
}
