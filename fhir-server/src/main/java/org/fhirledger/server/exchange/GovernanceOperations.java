package org.fhirledger.server.exchange;

import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import com.nimbusds.jose.jwk.JWK;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.util.Locale;
import java.util.function.Supplier;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.MembershipProposal;
import org.fhirledger.server.authz.AuthorizationUnavailableException;
import org.fhirledger.server.authz.Refusals;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * The consortium's governance over HTTP (docs/exchange.md, Governance): an ADMIN of this institution proposes the
 * admission or the removal of a member and approves pending proposals; the server's custodian account signs, as the
 * directory counts members by their custodian accounts. {@code $membership-request} is what another member must
 * enter to admit this server (its custodian account, Organization identifier, base URL and public key: what the
 * directory publishes on chain once it is admitted, nothing secret).
 *
 * <p>The chain's refusals are answered as what they mean: this server no member (403), already a member or already
 * approved or executed (409), no such member or proposal (404), the last member (409); the chain unreachable is 503.
 */
public final class GovernanceOperations {

    private final InstitutionDirectory directory;
    private final ConsortiumView view;
    private final Institution self;

    GovernanceOperations(InstitutionDirectory directory, ConsortiumView view, Institution self) {
        this.directory = directory;
        this.view = view;
        this.self = self;
    }

    @Description(
            shortDefinition = "What a member must enter to admit this server to the consortium",
            value = "This server's custodian account, Organization identifier, FHIR base URL and public key (JWK),"
                    + " as $propose-admission at a member takes them, and whether the directory holds it already")
    @Operation(
            name = "$membership-request",
            idempotent = true,
            returnParameters = {
                @OperationParam(name = "custodian", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "organization", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "fhirBaseUrl", typeName = "uri", min = 1, max = 1),
                @OperationParam(name = "authKey", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "member", typeName = "boolean", min = 1, max = 1)
            })
    public Parameters membershipRequest() {
        Parameters out = new Parameters();
        out.addParameter().setName("custodian").setValue(new StringType(self.custodian()));
        out.addParameter().setName("organization").setValue(new StringType(self.organization()));
        out.addParameter().setName("fhirBaseUrl").setValue(new UriType(self.fhirBaseUrl()));
        out.addParameter().setName("authKey").setValue(new StringType(self.authKeyJwk()));
        out.addParameter()
                .setName("member")
                .setValue(new BooleanType(read(() -> directory.isMember(self.custodian()))));
        return out;
    }

    @Description(
            shortDefinition = "Proposes admitting an institution to the consortium (ADMIN only)",
            value = "Signed by this server's custodian account, whose approval counts; the proposal executes when the"
                    + " approvals reach a strict majority of the active members (at once while this server is the only"
                    + " one)")
    @Operation(
            name = "$propose-admission",
            idempotent = false,
            returnParameters = {
                @OperationParam(name = "proposal", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "kind", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "subject", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "executed", typeName = "boolean", min = 1, max = 1),
                @OperationParam(name = "approvals", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "threshold", typeName = "integer", min = 1, max = 1)
            })
    public Parameters proposeAdmission(
            @OperationParam(name = "custodian", min = 1, max = 1) StringType custodian,
            @OperationParam(name = "organization", min = 1, max = 1) StringType organization,
            @OperationParam(name = "fhirBaseUrl", min = 1, max = 1) UriType fhirBaseUrl,
            @OperationParam(name = "authKey", min = 1, max = 1) StringType authKey) {
        Institution candidate = new Institution(
                address(custodian), organization(organization), baseUrl(fhirBaseUrl), publicJwk(authKey));
        if (read(() -> directory.isMember(candidate.custodian()))) {
            throw conflict("the institution with custodian account " + candidate.custodian() + " is a member already");
        }
        long id = write(() -> directory.proposeAdmission(candidate));
        return proposal(id);
    }

    @Description(
            shortDefinition = "Approves a pending membership proposal (ADMIN only)",
            value = "Signed by this server's custodian account; the proposal executes in this transaction when the"
                    + " approvals reach a strict majority of the active members")
    @Operation(
            name = "$approve-proposal",
            idempotent = false,
            returnParameters = {
                @OperationParam(name = "proposal", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "kind", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "subject", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "executed", typeName = "boolean", min = 1, max = 1),
                @OperationParam(name = "approvals", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "threshold", typeName = "integer", min = 1, max = 1)
            })
    public Parameters approve(@OperationParam(name = "proposal", min = 1, max = 1) IntegerType proposal) {
        if (proposal == null || proposal.getValue() == null || proposal.getValue() < 0) {
            throw new InvalidRequestException("proposal must be a proposal number (0 or more)");
        }
        long id = proposal.getValue();
        if (read(() -> directory.proposal(id)).isEmpty()) throw noProposal(id);
        write(() -> directory.approve(id));
        return proposal(id);
    }

    @Description(
            shortDefinition = "Proposes removing a member from the consortium (ADMIN only)",
            value = "Signed by this server's custodian account, whose approval counts; executes at a strict majority"
                    + " of the active members. The last member cannot be removed")
    @Operation(
            name = "$propose-removal",
            idempotent = false,
            returnParameters = {
                @OperationParam(name = "proposal", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "kind", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "subject", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "executed", typeName = "boolean", min = 1, max = 1),
                @OperationParam(name = "approvals", typeName = "integer", min = 1, max = 1),
                @OperationParam(name = "threshold", typeName = "integer", min = 1, max = 1)
            })
    public Parameters proposeRemoval(@OperationParam(name = "custodian", min = 1, max = 1) StringType custodian) {
        String member = address(custodian);
        if (!read(() -> directory.isMember(member))) {
            throw notFound("no active member has the custodian account " + member);
        }
        long id = write(() -> directory.proposeRemoval(member));
        return proposal(id);
    }

    private Parameters proposal(long id) {
        view.invalidate(); // the next $institutions shows a member this proposal admitted or removed
        MembershipProposal p = read(() -> directory.proposal(id)).orElseThrow(() -> noProposal(id));
        int threshold = read(directory::threshold);
        Parameters out = new Parameters();
        out.addParameter().setName("proposal").setValue(new IntegerType(Math.toIntExact(p.id())));
        out.addParameter().setName("kind").setValue(new StringType(p.kind().name()));
        out.addParameter().setName("subject").setValue(new StringType(p.subject()));
        out.addParameter().setName("executed").setValue(new BooleanType(p.executed()));
        out.addParameter().setName("approvals").setValue(new IntegerType(p.approvals()));
        out.addParameter().setName("threshold").setValue(new IntegerType(threshold));
        return out;
    }

    private static String address(StringType account) {
        String a = account == null ? null : account.getValue();
        if (a == null || !a.matches("0x[0-9a-fA-F]{40}") || a.matches("0x0{40}")) {
            throw new InvalidRequestException("custodian must be a ledger address (0x followed by 40 hex digits)");
        }
        return a.toLowerCase(Locale.ROOT);
    }

    private static String organization(StringType organization) {
        String o = organization == null ? null : organization.getValue();
        if (o == null || o.isBlank() || o.length() > 256 || !o.matches("\\S+")) {
            throw new InvalidRequestException(
                    "organization must be the Organization's business identifier (e.g. urn:oid:1.2.3), no spaces");
        }
        return o;
    }

    private static String baseUrl(UriType url) {
        String u = url == null ? null : url.getValue();
        try {
            URI parsed = u == null ? null : new URI(u);
            if (parsed == null
                    || !("https".equals(parsed.getScheme()) || "http".equals(parsed.getScheme()))
                    || parsed.getHost() == null
                    || parsed.getQuery() != null
                    || parsed.getFragment() != null
                    || u.length() > 512) {
                throw new URISyntaxException(String.valueOf(u), "not an http(s) base URL");
            }
            return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        } catch (URISyntaxException e) {
            throw new InvalidRequestException("fhirBaseUrl must be the member's FHIR base URL (http or https)");
        }
    }

    /** The member's public key: a JWK without a private part (a private key sent here would be published on chain). */
    private static String publicJwk(StringType key) {
        String k = key == null ? null : key.getValue();
        try {
            if (k == null || k.length() > 2048) throw new ParseException("missing or too long", 0);
            JWK jwk = JWK.parse(k);
            if (jwk.isPrivate()) {
                throw new InvalidRequestException(
                        "authKey holds a private key: send the public JWK only (it is published on chain)");
            }
            return jwk.toJSONString();
        } catch (ParseException e) {
            throw new InvalidRequestException("authKey must be the member's public key as a JWK (JSON)");
        }
    }

    private static <T> T read(Supplier<T> call) {
        try {
            return call.get();
        } catch (LedgerException e) {
            throw unavailable(e);
        }
    }

    private static <T> T write(Supplier<T> call) {
        try {
            return call.get();
        } catch (ContractRevertException e) {
            throw refusal(e);
        } catch (LedgerException e) {
            throw unavailable(e);
        }
    }

    /** The directory's named errors, as the caller can act on them. */
    private static BaseServerResponseException refusal(ContractRevertException e) {
        return switch (e.errorName()) {
            // the caller's own server (its custodian account) is no active member: it governs nothing
            case "NotMember" ->
                Refusals.forbidden(
                        "this institution is not an active member of the consortium: only members propose and approve");
            case "AlreadyMember" -> conflict("the institution is a member already");
            case "AlreadyApproved" -> conflict("this institution approved that proposal already");
            case "AlreadyExecuted" -> conflict("that proposal was carried already");
            case "LastMember" -> conflict("the last member cannot be removed");
            case "NoSuchProposal" -> notFound("there is no such proposal");
            case "ZeroAddress", "EmptyField" -> new InvalidRequestException("the directory refused: " + e.errorName());
            default -> conflict("the directory refused the change: " + e.errorName());
        };
    }

    private static AuthorizationUnavailableException unavailable(LedgerException e) {
        return new AuthorizationUnavailableException("The ledger cannot be reached; nothing changed. Retry later.", e);
    }

    private static ResourceVersionConflictException conflict(String message) {
        return withIssue(new ResourceVersionConflictException(message), OperationOutcome.IssueType.CONFLICT);
    }

    private static ResourceNotFoundException notFound(String message) {
        return withIssue(new ResourceNotFoundException(message), OperationOutcome.IssueType.NOTFOUND);
    }

    private static ResourceNotFoundException noProposal(long id) {
        return notFound("there is no proposal " + id);
    }

    private static <E extends BaseServerResponseException> E withIssue(E e, OperationOutcome.IssueType type) {
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue()
                .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                .setCode(type)
                .setDiagnostics(e.getMessage());
        e.setOperationOutcome(oo);
        return e;
    }
}
