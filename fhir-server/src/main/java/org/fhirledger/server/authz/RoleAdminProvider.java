package org.fhirledger.server.authz;

import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.dao.DataAccessException;

/**
 * {@code POST /fhir/$assign-role} (account, role, fhirUser) and {@code POST /fhir/$revoke-role} (account, role):
 * an ADMIN's changes to AccessRegistry, signed by the server's account (which must hold ADMIN on chain). The
 * account is bound to the pseudonym of the fhirUser, never the fhirUser itself. An admin manages only its own institution's accounts (docs/exchange.md): an account
 * enrolled under another consortium member is refused with 403, nothing sent to the chain. Each change the chain
 * confirmed is recorded in {@link RoleChanges}, from which {@link RoleResync} sends it again should the chain lose it.
 */
public final class RoleAdminProvider {

    /** The chain's refusals of a change outside the caller's institution (or of a former member's). */
    private static final Set<String> INSTITUTION_ERRORS = Set.of("OtherInstitution", "NotMember", "NotAdmin");

    private final DirectoryLedger ledger;
    private final ChainAuthority chain;
    private final Pseudonyms pseudonyms;
    private final RoleChanges changes;

    public RoleAdminProvider(DirectoryLedger ledger, ChainAuthority chain, Pseudonyms pseudonyms, RoleChanges changes) {
        this.ledger = ledger;
        this.chain = chain;
        this.pseudonyms = pseudonyms;
        this.changes = changes;
    }

    @Description(shortDefinition = "Gives a ledger account a role on chain, bound to a fhirUser (ADMIN only)")
    @Operation(
            name = "$assign-role",
            idempotent = false,
            returnParameters = {
                @OperationParam(name = "account", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "role", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "transaction", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "block", typeName = "integer", min = 1, max = 1)
            })
    public Parameters assignRole(
            @OperationParam(name = "account", min = 1, max = 1) StringType account,
            @OperationParam(name = "role", min = 1, max = 1) StringType role,
            @OperationParam(name = "fhirUser", min = 1, max = 1) StringType fhirUser) {
        String address = address(account);
        Role r = role(role);
        String user = fhirUser == null ? null : fhirUser.getValue();
        if (user == null
                || !user.matches(
                        "(Practitioner|PractitionerRole|Patient|RelatedPerson|Person|Organization|Device)/[A-Za-z0-9\\-.]{1,64}")) {
            throw new InvalidRequestException("fhirUser must be a relative reference such as Practitioner/123");
        }
        Bytes32 identity = pseudonyms.of(user);
        ownInstitution(address);
        LedgerReceipt receipt = call(() -> ledger.assignRole(address, r, identity));
        chain.forgetAccount(address);
        record(() -> changes.assigned(address, r, identity, receipt.txHash()));
        return result(address, r, receipt);
    }

    @Description(shortDefinition = "Takes a role from a ledger account on chain (ADMIN only)")
    @Operation(
            name = "$revoke-role",
            idempotent = false,
            returnParameters = {
                @OperationParam(name = "account", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "role", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "transaction", typeName = "string", min = 1, max = 1),
                @OperationParam(name = "block", typeName = "integer", min = 1, max = 1)
            })
    public Parameters revokeRole(
            @OperationParam(name = "account", min = 1, max = 1) StringType account,
            @OperationParam(name = "role", min = 1, max = 1) StringType role) {
        String address = address(account);
        Role r = role(role);
        ownInstitution(address);
        LedgerReceipt receipt = call(() -> ledger.revokeRole(address, r));
        chain.forgetAccount(address);
        record(() -> changes.revoked(address, r, receipt.txHash()));
        return result(address, r, receipt);
    }

    /**
     * An admin changes the roles of its own institution's accounts only (the chain refuses the others too): an account
     * enrolled under another member is refused before anything is sent. An account without role joins this one.
     */
    private void ownInstitution(String address) {
        Optional<String> theirs;
        Optional<String> ours;
        try {
            theirs = ledger.institutionOf(address);
            ours = ledger.institutionOf(ledger.account());
        } catch (LedgerException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached; nothing changed. Retry later.", e);
        }
        String self = ours.orElse(ledger.account()); // a member not yet enrolled acts for itself
        if (theirs.isPresent() && !theirs.get().equalsIgnoreCase(self)) {
            throw Refusals.forbidden("the account belongs to another institution, whose admins manage its roles");
        }
    }

    private static Parameters result(String address, Role role, LedgerReceipt receipt) {
        Parameters out = new Parameters();
        out.addParameter().setName("account").setValue(new StringType(address));
        out.addParameter().setName("role").setValue(new StringType(role.name()));
        out.addParameter().setName("transaction").setValue(new StringType(receipt.txHash()));
        out.addParameter().setName("block").setValue(new IntegerType(Math.toIntExact(receipt.blockNumber())));
        return out;
    }

    private static String address(StringType account) {
        String a = account == null ? null : account.getValue();
        if (a == null || !a.matches("0x[0-9a-fA-F]{40}")) {
            throw new InvalidRequestException("account must be a ledger address (0x followed by 40 hex digits)");
        }
        return a.toLowerCase(Locale.ROOT);
    }

    private static Role role(StringType role) {
        String r = role == null ? "" : role.getValue().toUpperCase(Locale.ROOT);
        try {
            return Role.valueOf(r);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("role must be one of ADMIN, CLINICIAN, PATIENT, AUDITOR, CUSTODIAN");
        }
    }

    /** The chain holds the change already; without the database's record a crash of the embedded chain could undo it. */
    private static void record(Runnable insert) {
        try {
            insert.run();
        } catch (DataAccessException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger made the change, but the database could not record it"
                            + " (it is needed to restore the change should the chain lose it). Check the role and retry later.",
                    e);
        }
    }

    private static LedgerReceipt call(java.util.function.Supplier<LedgerReceipt> chainCall) {
        try {
            return chainCall.get();
        } catch (ContractRevertException e) {
            if (INSTITUTION_ERRORS.contains(e.errorName())) {
                throw Refusals.forbidden("the ledger refused the change: " + e.errorName());
            }
            throw new ResourceVersionConflictException("The ledger refused the change: " + e.getMessage());
        } catch (LedgerException e) {
            throw new AuthorizationUnavailableException(
                    "The ledger cannot be reached; nothing changed. Retry later.", e);
        }
    }
}
