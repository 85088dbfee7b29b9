package org.fhirledger.server.exchange;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.server.web.OperationOutcomeResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /fhir/$member-token}: the token endpoint for the consortium's other members (SMART Backend Services:
 * {@code grant_type=client_credentials}, {@code client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer},
 * {@code client_assertion}). Public, as a token endpoint is; the assertion is the authentication. Answers an OAuth2
 * token response, or a refusal as an OperationOutcome (400 malformed, 401 not authenticated, 403 not allowed to act
 * for that account, 503 chain unreachable). Its own servlet on the exact path, like the SMART configuration.
 */
final class MemberTokenServlet extends HttpServlet {

    static final String PATH = "/fhir" + MemberAssertions.TOKEN_PATH;
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private static final Logger log = LoggerFactory.getLogger(MemberTokenServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient Supplier<MemberAssertionCheck> check;
    private final transient Supplier<ConsortiumView> consortium;
    private final transient MemberAccessTokens tokens;

    MemberTokenServlet(
            Supplier<MemberAssertionCheck> check, Supplier<ConsortiumView> consortium, MemberAccessTokens tokens) {
        this.check = check;
        this.consortium = consortium;
        this.tokens = tokens;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        OperationOutcomeResponses.write(
                response,
                405,
                "not-supported",
                "The member token endpoint takes POST (a form with a client assertion)");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String contentType = request.getContentType();
        if (contentType == null
                || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            refuse(response, 400, "invalid", "Send the token request as application/x-www-form-urlencoded");
            return;
        }
        if (!"client_credentials".equals(request.getParameter("grant_type"))) {
            refuse(response, 400, "invalid", "grant_type must be client_credentials");
            return;
        }
        if (!JWT_BEARER.equals(request.getParameter("client_assertion_type"))) {
            refuse(response, 400, "invalid", "client_assertion_type must be " + JWT_BEARER);
            return;
        }
        String[] assertions = request.getParameterValues("client_assertion");
        if (assertions == null || assertions.length != 1 || assertions[0].isBlank()) {
            refuse(response, 400, "invalid", "Send exactly one client_assertion");
            return;
        }
        ConsortiumView view = consortium.get();
        MemberAssertionCheck checker = check.get();
        if (view == null || checker == null) {
            refuse(response, 404, "not-found", "This server has no consortium directory");
            return;
        }
        MemberAssertionCheck.Accepted accepted;
        try {
            String self = view.member(view.self())
                    .orElseThrow(() -> new MemberAssertionCheck.Refused(
                            403, "forbidden", "This server is no active member of the consortium"))
                    .fhirBaseUrl();
            accepted = checker.check(assertions[0], MemberAssertions.tokenEndpoint(self));
        } catch (MemberAssertionCheck.Refused e) {
            refuse(response, e.status, e.issueCode, e.getMessage());
            return;
        } catch (LedgerException e) {
            log.warn(
                    "Cannot check a member's client assertion: the chain is unreachable ({})",
                    e.getClass().getSimpleName());
            response.setHeader("Retry-After", "30");
            OperationOutcomeResponses.write(
                    response, 503, "transient", "The consortium directory cannot be read now. Retry later.");
            return;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("access_token", tokens.issue(accepted.member(), accepted.clinician()));
        answer.put("token_type", "Bearer");
        answer.put("expires_in", tokens.ttlSeconds());
        answer.put("scope", MemberAccessTokens.SCOPE);
        response.setStatus(200);
        response.setContentType("application/json;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Pragma", "no-cache");
        JSON.writeValue(response.getOutputStream(), answer);
    }

    /** One line, without any value from the request. */
    private static void refuse(HttpServletResponse response, int status, String code, String reason)
            throws IOException {
        log.info("Member token refused ({}): {}", status, reason);
        OperationOutcomeResponses.write(response, status, code, reason);
    }
}
